package natsembed

import (
	"net"
	"strconv"
)

func splitHostPort(addr string) (string, int, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return "", 0, err
	}
	if port == 0 {
		// The server reads 0 as "the default port"; -1 asks for a random one.
		port = -1
	}
	return host, port, nil
}

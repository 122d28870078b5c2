package eventlog

import (
	"errors"
	"strconv"
	"strings"
)

// ErrBadToken is returned for a consistency token this version cannot read.
var ErrBadToken = errors.New("malformed consistency token")

const tokenPrefix = "v1."

// Token is a consistency token: the log position of an acknowledged write.
// A read that carries it reflects that write. The text form is opaque to
// clients; today it is "v1.<stream sequence>".
type Token uint64

// String returns the token's text form.
func (t Token) String() string { return tokenPrefix + strconv.FormatUint(uint64(t), 10) }

// Seq is the stream sequence the token stands for.
func (t Token) Seq() uint64 { return uint64(t) }

// ParseToken reads a token's text form. The empty string is the zero token,
// which any read satisfies.
func ParseToken(s string) (Token, error) {
	if s == "" {
		return 0, nil
	}
	rest, ok := strings.CutPrefix(s, tokenPrefix)
	if !ok {
		return 0, ErrBadToken
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	if err != nil || n == 0 {
		return 0, ErrBadToken
	}
	return Token(n), nil
}

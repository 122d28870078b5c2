package natsembed_test

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// The configuration shipped for deployments flushes before acknowledging,
// like the embedded server.
func TestDeployConfigSyncsAlways(t *testing.T) {
	opts, err := server.ProcessConfigFile("../../deploy/nats/nats.conf")
	if err != nil {
		t.Fatalf("parse deploy/nats/nats.conf: %v", err)
	}
	if !opts.JetStream || !opts.SyncAlways {
		t.Fatalf("deploy/nats/nats.conf: jetstream=%v sync_always=%v, want both true", opts.JetStream, opts.SyncAlways)
	}
}

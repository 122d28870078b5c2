// Package config reads a service's settings from flags with environment
// variables as defaults, so every setting has both forms and --help lists
// them together.
package config

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Env returns the value of the environment variable name, or def.
func Env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func usage(text, env string) string { return fmt.Sprintf("%s (env %s)", text, env) }

// String registers a string flag whose default comes from env, else def.
func String(fs *flag.FlagSet, p *string, name, env, def, text string) {
	fs.StringVar(p, name, Env(env, def), usage(text, env))
}

// Int registers an int flag whose default comes from env, else def. A
// malformed environment value is reported by Errors.
func Int(fs *flag.FlagSet, p *int, name, env string, def int, text string) {
	v := def
	if s, ok := os.LookupEnv(env); ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			envError(env, fmt.Errorf("%s: %q is not an integer", env, s))
		} else {
			v = n
		}
	}
	fs.IntVar(p, name, v, usage(text, env))
}

// Duration registers a duration flag whose default comes from env, else def.
func Duration(fs *flag.FlagSet, p *time.Duration, name, env string, def time.Duration, text string) {
	v := def
	if s, ok := os.LookupEnv(env); ok {
		d, err := time.ParseDuration(s)
		if err != nil {
			envError(env, fmt.Errorf("%s: %q is not a duration", env, s))
		} else {
			v = d
		}
	}
	fs.DurationVar(p, name, v, usage(text, env))
}

var (
	envMu     sync.Mutex
	envErrors = map[string]error{}
)

func envError(name string, err error) {
	envMu.Lock()
	defer envMu.Unlock()
	envErrors[name] = err
}

// EnvErrors returns the malformed environment values seen while registering
// flags, so Validate can report them with the other problems. The
// environment belongs to the process, so every configuration of the
// process reports them.
func EnvErrors() []error {
	envMu.Lock()
	defer envMu.Unlock()
	names := make([]string, 0, len(envErrors))
	for n := range envErrors {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]error, len(names))
	for i, n := range names {
		out[i] = envErrors[n]
	}
	return out
}

// Redact hides the password of a URL, for logging a configuration.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

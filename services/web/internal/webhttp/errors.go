package webhttp

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"unisson.dev/platform/interaction"
	"unisson.dev/services/web/internal/intake"
)

// apiError is the body of every error response:
// {"error":{"code":…,"message":…,"fields":[{"field":…,"reason":…}]}}.
type apiError struct {
	status     int
	retryAfter bool
	Code       string       `json:"code"`
	Message    string       `json:"message"`
	Fields     []fieldError `json:"fields,omitempty"`
}

// fieldError names a field as the client sent it (its JSON name, query
// parameter or header).
type fieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func writeError(w http.ResponseWriter, e apiError) {
	if e.retryAfter {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.status, struct {
		Error apiError `json:"error"`
	}{e})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// invalid is a 400 listing fields; its message names them all.
func invalid(fields ...fieldError) apiError {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return apiError{status: http.StatusBadRequest, Code: "invalid_argument",
		Message: "invalid request: " + strings.Join(parts, "; "), Fields: fields}
}

// intakeError maps the intake use case's errors.
func (s *server) intakeError(r *http.Request, err error) apiError {
	var verr interaction.ValidationError
	switch {
	case errors.Is(err, intake.ErrInvalid) && errors.As(err, &verr):
		fields := make([]fieldError, len(verr))
		for i, fe := range verr {
			fields[i] = fieldError{Field: clientField(fe.Field), Reason: fe.Reason}
		}
		return invalid(fields...)
	case errors.Is(err, intake.ErrKeyReused):
		return apiError{status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused",
			Message: "this Idempotency-Key was already used for a different request",
			Fields:  []fieldError{{Field: IdempotencyKeyHeader, Reason: "already used for a different request"}}}
	case errors.Is(err, intake.ErrUnavailable):
		s.log.Warn("publish failed", "request_id", RequestID(r.Context()), "err", err)
		return apiError{status: http.StatusServiceUnavailable, retryAfter: true, Code: "unavailable",
			Message: "the interaction could not be confirmed; retry with the same Idempotency-Key"}
	default:
		s.log.Error("submit failed", "request_id", RequestID(r.Context()), "err", err)
		return apiError{status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	}
}

// clientField turns an Interaction field path into the name the client
// sent: identifiers and web details sit at the top of the request body.
func clientField(f string) string {
	switch f {
	case "subject":
		return "identifiers"
	case "idempotency_key":
		return IdempotencyKeyHeader
	}
	f = strings.TrimPrefix(f, "subject.")
	return strings.TrimPrefix(f, "web.")
}

// readError maps a context service failure. Only InvalidArgument passes the
// service's message on: it is meant for clients; other messages may carry
// internal details and are neither shown nor logged.
func (s *server) readError(r *http.Request, err error) apiError {
	st := status.Convert(err)
	switch code := st.Code(); {
	case code == codes.InvalidArgument:
		return apiError{status: http.StatusBadRequest, Code: "invalid_argument", Message: st.Message()}
	case code == codes.NotFound:
		return apiError{status: http.StatusNotFound, Code: "not_found", Message: "no citizen matches this selector"}
	case code == codes.PermissionDenied:
		return apiError{status: http.StatusForbidden, Code: "permission_denied", Message: "this context may not be read"}
	case (code == codes.Unavailable || code == codes.FailedPrecondition) && notYet(st.Message()):
		return apiError{status: http.StatusServiceUnavailable, retryAfter: true, Code: "not_yet_applied",
			Message: "the write behind this consistency token is not visible yet; retry"}
	case code == codes.FailedPrecondition:
		return apiError{status: http.StatusServiceUnavailable, Code: "unavailable", Message: st.Message()}
	case code == codes.DeadlineExceeded:
		return apiError{status: http.StatusGatewayTimeout, Code: "deadline_exceeded", Message: "the context service did not answer in time"}
	case code == codes.Canceled && r.Context().Err() != nil:
		// The client went away; nobody reads this answer.
		return apiError{status: 499, Code: "canceled", Message: "request canceled"}
	default:
		s.log.Warn("context service call failed", "request_id", RequestID(r.Context()), "grpc_code", code.String())
		return apiError{status: http.StatusBadGateway, Code: "bad_gateway", Message: "the context service failed"}
	}
}

// notYet recognises the context service's "not yet applied" answer to a read
// whose consistency token is ahead of its projection.
func notYet(msg string) bool { return strings.Contains(strings.ToLower(msg), "not yet") }

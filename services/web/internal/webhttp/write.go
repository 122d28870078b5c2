package webhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"unisson.dev/services/web/internal/intake"
)

// IdempotencyKeyHeader makes a write safe to retry: the same key within the
// log's duplicate window (10 minutes by default) returns the first write's
// interaction id and consistency token.
const IdempotencyKeyHeader = "Idempotency-Key"

type identifierJSON struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type messageRequest struct {
	Identifiers   []identifierJSON `json:"identifiers"`
	CitizenID     string           `json:"citizen_id"`
	Topic         string           `json:"topic"`
	CaseReference string           `json:"case_reference"`
	Text          string           `json:"text"`
}

type formRequest struct {
	Identifiers   []identifierJSON  `json:"identifiers"`
	CitizenID     string            `json:"citizen_id"`
	FormID        string            `json:"form_id"`
	CaseReference string            `json:"case_reference"`
	Topic         string            `json:"topic"`
	CaseStatus    string            `json:"case_status"`
	Fields        map[string]string `json:"fields"`
}

type receiptResponse struct {
	InteractionID    string `json:"interaction_id"`
	ConsistencyToken string `json:"consistency_token"`
}

func (s *server) postMessage(w http.ResponseWriter, r *http.Request) {
	var req messageRequest
	key, ok := s.decode(w, r, &req)
	if !ok {
		return
	}
	m := intake.Message{Identifiers: toIntake(req.Identifiers), CitizenID: req.CitizenID, Topic: req.Topic,
		CaseReference: req.CaseReference, Text: req.Text, IdempotencyKey: key}
	s.submit(w, r, "message", func(ctx context.Context) (intake.Receipt, error) {
		return s.intake.SubmitMessage(ctx, m)
	})
}

func (s *server) postForm(w http.ResponseWriter, r *http.Request) {
	var req formRequest
	key, ok := s.decode(w, r, &req)
	if !ok {
		return
	}
	f := intake.Form{Identifiers: toIntake(req.Identifiers), CitizenID: req.CitizenID, FormID: req.FormID,
		CaseReference: req.CaseReference, Topic: req.Topic, CaseStatus: req.CaseStatus, Fields: req.Fields,
		IdempotencyKey: key}
	s.submit(w, r, "form_submission", func(ctx context.Context) (intake.Receipt, error) {
		return s.intake.SubmitForm(ctx, f)
	})
}

// submit runs one intake call under the publish deadline and answers 202.
func (s *server) submit(w http.ResponseWriter, r *http.Request, kind string, call func(context.Context) (intake.Receipt, error)) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.PublishTimeout)
	defer cancel()
	start := time.Now()
	rec, err := call(ctx)
	switch {
	case err == nil && rec.Replayed:
		s.metrics.published(kind, "replayed", time.Since(start))
		w.Header().Set("Idempotent-Replayed", "true")
	case err == nil:
		s.metrics.published(kind, "stored", time.Since(start))
	case errors.Is(err, intake.ErrUnavailable):
		s.metrics.published(kind, "error", time.Since(start))
	}
	if err != nil {
		writeError(w, s.intakeError(r, err))
		return
	}
	s.log.Info("interaction accepted", "request_id", RequestID(r.Context()), "interaction_id", rec.InteractionID,
		"kind", kind, "seq", rec.Token.Seq(), "replayed", rec.Replayed)
	writeJSON(w, http.StatusAccepted, receiptResponse{InteractionID: rec.InteractionID, ConsistencyToken: rec.Token.String()})
}

func toIntake(ids []identifierJSON) []intake.Identifier {
	out := make([]intake.Identifier, len(ids))
	for i, id := range ids {
		out[i] = intake.Identifier{Type: id.Type, Value: id.Value}
	}
	return out
}

// decode checks the content type and the Idempotency-Key header, then reads
// exactly one JSON object of known fields into v. On failure it has written
// the error response.
func (s *server) decode(w http.ResponseWriter, r *http.Request, v any) (key string, ok bool) {
	if !isJSON(r.Header.Get("Content-Type")) {
		writeError(w, apiError{status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send the body as application/json (UTF-8)"})
		return "", false
	}
	keys := r.Header.Values(IdempotencyKeyHeader)
	if len(keys) > 1 || len(keys) == 1 && keys[0] == "" {
		writeError(w, invalid(fieldError{Field: IdempotencyKeyHeader, Reason: "send it once, non-empty"}))
		return "", false
	}
	if len(keys) == 1 {
		key = keys[0]
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if err = dec.Decode(&struct{}{}); err == io.EOF {
			return key, true
		}
		if err == nil || !isTooLarge(err) {
			err = errTrailing
		}
	}
	writeError(w, s.decodeError(err))
	return "", false
}

var errTrailing = errors.New("trailing data after the JSON object")

func isJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, has := params["charset"]
	return !has || strings.EqualFold(cs, "utf-8")
}

func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// decodeError turns a JSON decoding failure into a response naming the
// field at fault when there is one.
func (s *server) decodeError(err error) apiError {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case isTooLarge(err):
		return apiError{status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
			Message: fmt.Sprintf("the request body exceeds %d bytes", s.opts.MaxBodyBytes)}
	case errors.Is(err, io.EOF):
		return invalid(fieldError{Field: "body", Reason: "is empty; send a JSON object"})
	case errors.Is(err, errTrailing):
		return invalid(fieldError{Field: "body", Reason: "must hold exactly one JSON object"})
	case errors.As(err, &syntax):
		return invalid(fieldError{Field: "body", Reason: fmt.Sprintf("is not valid JSON (at byte %d)", syntax.Offset)})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid(fieldError{Field: "body", Reason: "is truncated JSON"})
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return invalid(fieldError{Field: typeErr.Field, Reason: "must be a JSON " + jsonType(typeErr.Type.Kind().String())})
	case errors.As(err, &typeErr):
		return invalid(fieldError{Field: "body", Reason: "must be a JSON object"})
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalid(fieldError{Field: strings.Trim(name, `"`), Reason: "is not a known field"})
	}
	return invalid(fieldError{Field: "body", Reason: "could not be read as JSON"})
}

func jsonType(kind string) string {
	switch kind {
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "string":
		return "string"
	default:
		return "value of another type"
	}
}

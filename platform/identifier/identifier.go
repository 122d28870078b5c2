// Package identifier normalises the identifiers channels see (e-mail
// addresses, phone numbers, identity-provider subjects, case references,
// device ids) so that the same person seen on two channels yields the same
// key.
package identifier

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

// DefaultRegion is the region assumed for phone numbers written without an
// international prefix.
const DefaultRegion = "FR"

// MaxLength bounds every identifier value, before and after normalisation.
const MaxLength = 256

// ErrInvalid is wrapped by every normalisation error.
var ErrInvalid = errors.New("invalid identifier")

// Normalize returns the canonical form of value for its type: e-mail in lower
// case, phone numbers in E.164, other identifiers trimmed. It fails with an
// error wrapping ErrInvalid when the value cannot be that type.
//
// Normalize is safe for concurrent use. E-mail addresses and French
// numbers written the usual ways are read without net/mail and
// libphonenumber, and other phone numbers seen lately, in any notation or
// in E.164, are answered from a bounded cache without parsing them again;
// the result is the same.
func Normalize(t interactionv1.IdentifierType, value string) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", fmt.Errorf("%w: empty value", ErrInvalid)
	}
	if len(value) > MaxLength || !utf8.ValidString(value) {
		return "", fmt.Errorf("%w: longer than %d bytes or not UTF-8", ErrInvalid, MaxLength)
	}
	norm, err := normalize(t, value)
	if err == nil && len(norm) > MaxLength {
		// Lower-casing can lengthen a value (some capitals have longer
		// lower-case forms): the limit holds for the canonical form too.
		return "", fmt.Errorf("%w: longer than %d bytes once normalised", ErrInvalid, MaxLength)
	}
	return norm, err
}

func normalize(t interactionv1.IdentifierType, value string) (string, error) {
	switch t {
	case interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL:
		return normalizeEmail(value)
	case interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE:
		return normalizePhone(value)
	case interactionv1.IdentifierType_IDENTIFIER_TYPE_IDP_SUBJECT,
		interactionv1.IdentifierType_IDENTIFIER_TYPE_DEVICE_ID:
		return normalizeToken(value, false)
	case interactionv1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE:
		return normalizeToken(value, true)
	default:
		return "", fmt.Errorf("%w: unknown type %v", ErrInvalid, t)
	}
}

// normalizeEmail reads the addresses people usually write, ASCII
// dot-atoms on either side of the '@' (see plainEmail), on a fast path, in
// about a tenth of the time of net/mail's parse and without allocating
// when the address is in lower case already, as every address on the log
// is and Validate checks again. parseEmail, with net/mail, decides for
// anything else; the result is the same.
func normalizeEmail(value string) (string, error) {
	if plainEmail(value) {
		return strings.ToLower(value), nil
	}
	return parseEmail(value)
}

// parseEmail is the reference normalisation of e-mail addresses, with
// net/mail: a bare address, lower-cased, at a dotted host name.
func parseEmail(value string) (string, error) {
	addr, err := mail.ParseAddress(value)
	if err != nil || addr.Name != "" || addr.Address != value {
		return "", fmt.Errorf("%w: not a bare e-mail address", ErrInvalid)
	}
	at := strings.LastIndexByte(value, '@')
	local, domain := value[:at], value[at+1:]
	if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", fmt.Errorf("%w: e-mail domain must be a dotted host name", ErrInvalid)
	}
	// Local parts are case-sensitive in theory and never in practice; every
	// administration mail system treats them case-insensitively. Lowering
	// maps rune by rune, so lowering the whole address lowers both parts,
	// and returns value itself, without allocating, when it is lower-case.
	return strings.ToLower(value), nil
}

// normalizePhone reads French numbers on the fast path, in about the time
// of a cache lookup and without taking room in the cache: a hundred
// thousand citizens' numbers would not fit in it. It answers other numbers
// from the cache of recent numbers when it can: a number in E.164, as
// every event on the log carries it, is parsed at most once while it stays
// in the cache rather than at every check, and so is the E.164 output of a
// number just parsed.
func normalizePhone(value string) (string, error) {
	if e164, ok := frenchPhone(value); ok {
		return e164, nil
	}
	if e164, ok := phones.get(value); ok {
		return e164, nil
	}
	e164, err := parsePhone(value)
	if err != nil {
		return "", err
	}
	phones.add(value, e164)
	return e164, nil
}

// parsePhone is the reference normalisation of phone numbers, with
// libphonenumber.
func parsePhone(value string) (string, error) {
	num, err := phonenumbers.Parse(value, DefaultRegion)
	if err != nil {
		return "", fmt.Errorf("%w: not a phone number", ErrInvalid)
	}
	if !phonenumbers.IsValidNumber(num) {
		if e164, ok := overseasPhone(value, num); ok {
			return e164, nil
		}
		return "", fmt.Errorf("%w: not a valid phone number", ErrInvalid)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// overseasRegions are the overseas departments whose numbers people write
// the French national way, 0 and nine digits ("0692 12 34 56" in La
// Réunion), while libphonenumber gives them country codes of their own
// (+262, +590, +596, +594) and rejects them as French numbers. Mayotte
// shares +262 with La Réunion, Saint-Barthélemy and Saint-Martin +590 with
// Guadeloupe, so their numbers come out the same. Saint-Pierre-et-Miquelon
// is left out: its numbers have six digits, and reading a short mainland
// number as one would accept a typing mistake.
var overseasRegions = []string{"RE", "GP", "MQ", "GF"}

// overseasPhone reads a number written the French national way that is
// not valid in mainland France as a number of an overseas department. It
// answers only when exactly one country code makes it valid.
func overseasPhone(value string, mainland *phonenumbers.PhoneNumber) (string, bool) {
	national := phonenumbers.GetNationalSignificantNumber(mainland)
	if mainland.GetCountryCode() != 33 || mainland.GetItalianLeadingZero() || len(national) != 9 {
		return "", false
	}
	found := ""
	for _, region := range overseasRegions {
		num, err := phonenumbers.Parse(value, region)
		if err != nil || !phonenumbers.IsValidNumber(num) || num.GetCountryCode() == 33 {
			continue
		}
		e164 := phonenumbers.Format(num, phonenumbers.E164)
		if found != "" && found != e164 {
			return "", false
		}
		found = e164
	}
	return found, found != ""
}

// normalizeToken accepts printable identifiers without spaces; case
// references are compared in upper case because agents type them by hand.
func normalizeToken(value string, upper bool) (string, error) {
	for _, r := range value {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return "", fmt.Errorf("%w: contains spaces or control characters", ErrInvalid)
		}
	}
	if upper {
		return strings.ToUpper(value), nil
	}
	return value, nil
}

// Key is the identifier's stable key in stores and indexes, e.g.
// "email:jeanne@example.fr". value must already be normalised.
func Key(t interactionv1.IdentifierType, value string) string {
	return TypeName(t) + ":" + value
}

// TypeName is the short lower-case name of an identifier type, as used in
// keys and in the HTTP API.
func TypeName(t interactionv1.IdentifierType) string {
	switch t {
	case interactionv1.IdentifierType_IDENTIFIER_TYPE_EMAIL:
		return "email"
	case interactionv1.IdentifierType_IDENTIFIER_TYPE_PHONE:
		return "phone"
	case interactionv1.IdentifierType_IDENTIFIER_TYPE_IDP_SUBJECT:
		return "idp"
	case interactionv1.IdentifierType_IDENTIFIER_TYPE_CASE_REFERENCE:
		return "case"
	case interactionv1.IdentifierType_IDENTIFIER_TYPE_DEVICE_ID:
		return "device"
	default:
		return "unknown"
	}
}

// ParseTypeName is the inverse of TypeName.
func ParseTypeName(name string) (interactionv1.IdentifierType, bool) {
	for t := range interactionv1.IdentifierType_name {
		it := interactionv1.IdentifierType(t)
		if it != interactionv1.IdentifierType_IDENTIFIER_TYPE_UNSPECIFIED && TypeName(it) == name {
			return it, true
		}
	}
	return 0, false
}

package identifier

import "strings"

// plainEmail is the fast path of normalizeEmail: it reports whether value
// is an address written the usual way, local@domain.tld with nothing
// around it, which parseEmail (net/mail) accepts as it is. For such a value
// normalizeEmail only lowers its case, in tens of nanoseconds rather than
// hundreds and five or six allocations. For anything else it returns false
// and parseEmail decides: plainEmail never rejects an address, so it can
// only be wrong by accepting one, and it accepts only the shape below, whose
// handling by net/mail was read in its source and is checked by
// TestEmailFastPathMatchesParse and FuzzEmailFastPath.
//
// value is ASCII, exactly one '@' between a local part and a domain that
// are both RFC 5322 dot-atoms: atext characters (letters, digits and
// !#$%&'*+-/=?^_`{|}~) in runs separated by single dots, with no dot first
// or last. net/mail's ParseAddress reads such a value as an addr-spec, the
// first thing it tries: the local part cannot be a quoted string (it does
// not start with '"'), the domain cannot be a domain literal (it does not
// start with '['), and there is no space, comment, angle bracket or comma
// left for a display name or a second address. It returns the value
// itself, unnamed, so normalizeEmail's "bare address" check holds.
//
// The domain must also hold a dot, as normalizeEmail requires; a
// dot-atom neither starts nor ends with one. net/mail has no length limit
// of its own: Normalize's MaxLength applies on either path, and lowering
// ASCII keeps the length.
//
// The rest is left to net/mail: quoted local parts, domain literals
// ("jeanne@[192.0.2.1]"), display names, comments, spaces, non-ASCII
// letters, which it accepts or rejects as RFC 5322 and RFC 6532 say, and
// the errors, whose messages it writes.
func plainEmail(value string) bool {
	at := strings.IndexByte(value, '@')
	if at < 0 {
		return false
	}
	// A second '@' is not atext: dotAtom refuses a domain holding one.
	local, domain := value[:at], value[at+1:]
	return dotAtom(local) && dotAtom(domain) && strings.Contains(domain, ".")
}

// dotAtom reports whether s is an RFC 5322 dot-atom of ASCII characters.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if s[i-1] == '.' { // i > 0: s does not start with a dot
				return false
			}
		case !atext[c]:
			return false
		}
	}
	return true
}

// atext holds the RFC 5322 atext characters: visible ASCII but the
// specials ( ) < > [ ] : ; @ \ , . and ", as net/mail's isAtext has them
// (it also takes any non-ASCII rune, which plainEmail leaves to it).
var atext = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-/=?^_`{|}~" {
		t[c] = true
	}
	return t
}()

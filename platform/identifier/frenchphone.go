package identifier

// maxFrenchTyped bounds the values frenchPhone reads. It must stay below
// the 250 bytes past which libphonenumber refuses any input (Normalize lets
// 256 through); 64 leaves room for any spacing people type.
const maxFrenchTyped = 64

// frenchPhone is the fast path of normalizePhone: it returns the E.164
// form of value, and true, when value is a French number written one of
// the usual ways and libphonenumber (parsePhone) accepts it, in a tenth of
// a microsecond rather than tens of microseconds of regular expressions
// and dozens of allocations. For anything else it returns false and
// parsePhone decides: it never rejects a number, so it can only be wrong
// by accepting one, and it accepts only the shapes below, whose handling
// by libphonenumber was read in its source and is checked by
// TestFrenchPhoneMatchesParse and FuzzPhoneFastPath.
//
// value is an optional leading "+" then ASCII digits and separators:
// space, no-break space, '.', '-', '/', '(' and ')'. libphonenumber keeps
// only the digits of such a value: all of those are in its punctuation,
// none of them starts an extension (that takes a letter, '#', ',' or ';')
// or a second number ("/x"), it skips punctuation before the first digit
// or plus and allows it after the last digit. Tabs, narrow no-break
// spaces and other characters are left to it: it rejects some.
//
// The digits are then N, a French national significant number of 9
// digits (see frenchValid), written
//
//	0 N                      "06 12 34 56 78": no country code (the value
//	                         starts with neither 00 nor 33), and the trunk
//	                         prefix 0 is dropped because N alone has the
//	                         French length;
//	+33 N, 0033 N            "+33 6 12 34 56 78": country code 33 after
//	                         "+" or France's international prefix 00
//	                         ("3" alone is no country code);
//	+33 0 N, 0033 0 N        "+33 (0)6 12 34 56 78": the trunk prefix is
//	                         dropped after a country code too.
func frenchPhone(value string) (string, bool) {
	if len(value) > maxFrenchTyped || len(value) == 0 {
		return "", false
	}
	var buf [14]byte // the longest shape: 00 33 0 and 9 digits
	digits := buf[:0]
	plus, start := value[0] == '+', 0
	if plus {
		start = 1
	}
	for i := start; i < len(value); i++ {
		switch c := value[i]; {
		case '0' <= c && c <= '9':
			if len(digits) == len(buf) {
				return "", false
			}
			digits = append(digits, c)
		case c == ' ' || c == '.' || c == '-' || c == '/' || c == '(' || c == ')':
		case c == 0xc2 && i+1 < len(value) && value[i+1] == 0xa0: // U+00A0
			i++
		default:
			return "", false
		}
	}
	nsn, ok := frenchNSN(digits, plus)
	if !ok || !frenchValid(nsn) {
		return "", false
	}
	if plus && len(value) == len("+33")+len(nsn) {
		return value, true // E.164 already, as every event on the log carries it
	}
	e164 := [12]byte{'+', '3', '3'}
	copy(e164[3:], nsn)
	return string(e164[:]), true
}

// frenchNSN returns the French national significant number digits carry
// in one of the shapes frenchPhone accepts.
func frenchNSN(digits []byte, plus bool) ([]byte, bool) {
	switch {
	case plus && len(digits) >= 2 && digits[0] == '3' && digits[1] == '3':
		digits = digits[2:]
	case !plus && len(digits) >= 4 && digits[0] == '0' && digits[1] == '0' && digits[2] == '3' && digits[3] == '3':
		digits = digits[4:]
	case !plus && len(digits) == 10 && digits[0] == '0':
		// One trunk prefix only: "00" is the international prefix (and
		// frenchValid refuses a national number starting with 0).
		return digits[1:], true
	default:
		return nil, false
	}
	if len(digits) == 10 && digits[0] == '0' {
		digits = digits[1:]
	}
	return digits, len(digits) == 9
}

// frenchValid reports whether libphonenumber's metadata for France gives
// the 9-digit national significant number n a type, which is what its
// IsValidNumber checks. Each pattern of that metadata is a prefix of at
// most five digits followed by any digits, so the first digits decide.
// TestFrenchMetadataUnchanged pins the patterns, TestFrenchValidRanges
// compares frenchValid with IsValidNumber for every five-digit prefix.
func frenchValid(n []byte) bool {
	switch n[0] {
	case '1', '3', '9': // fixed lines [13]\d, VoIP 9\d: all of them
		return true
	case '2': // fixed lines 2[0-57-9], 26[013-9]: not 262, Réunion's code
		return n[1] != '6' || n[2] != '2'
	case '4': // fixed lines 4[1-9]
		return n[1] != '0'
	case '5': // fixed lines 5[0-8], 59[1-35-9]: not 590 or 594, the codes
		// of Guadeloupe and French Guiana (but 596, Martinique's, is valid)
		return n[1] != '9' || (n[2] != '0' && n[2] != '4')
	case '6': // mobiles 6[0-24-8], 63[0-8], 69[589]
		switch n[1] {
		case '3':
			return n[2] != '9'
		case '9':
			return n[2] == '5' || n[2] == '8' || n[2] == '9'
		}
		return true
	case '7': // mobiles 7[3-9]
		return n[1] >= '3'
	case '8':
		// Toll-free 80[0-5], UAN 80[6-9], shared cost 81[01], 82[0156],
		// 84[024] and 884, premium rate 81[2-9], 82[2-47-9], 83[0-57-9],
		// 836 but 83604 and 83605, 8[569] and 88[0-35-9]: everything but
		// 87, 84[135-9], 83604 and 83605.
		switch n[1] {
		case '7':
			return false
		case '4':
			return n[2] == '0' || n[2] == '2' || n[2] == '4'
		case '3':
			return n[2] != '6' || n[3] != '0' || (n[4] != '4' && n[4] != '5')
		}
		return true
	}
	return false
}

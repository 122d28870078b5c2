// Package identifiertest makes identifiers for tests and benchmarks.
package identifiertest

import "fmt"

// FrenchMobiles returns n distinct valid French mobile numbers (06, then a
// digit other than 3 and 9), as people type them ("06 12 34 56 78") and in
// E.164 ("+33612345678"), in the same order.
func FrenchMobiles(n int) (typed, e164 []string) {
	third := "01245678"
	for i := range n {
		rest := fmt.Sprintf("%c%07d", third[i%len(third)], (i/len(third)*7919)%10_000_000)
		typed = append(typed, "06 "+rest[:2]+" "+rest[2:4]+" "+rest[4:6]+" "+rest[6:])
		e164 = append(e164, "+336"+rest)
	}
	return typed, e164
}

package intake

import (
	"sort"
	"strings"

	interactionv1 "unisson.dev/proto/unisson/interaction/v1"
)

const caseStatusPrefix = "CASE_STATUS_"

// CaseStatusName is the short lower-case name of a case status
// ("in_review"), as used in the HTTP API; empty for an unspecified status.
func CaseStatusName(s interactionv1.CaseStatus) string {
	name, ok := interactionv1.CaseStatus_name[int32(s)]
	if !ok || s == interactionv1.CaseStatus_CASE_STATUS_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(name, caseStatusPrefix))
}

// ParseCaseStatus is the inverse of CaseStatusName.
func ParseCaseStatus(name string) (interactionv1.CaseStatus, bool) {
	v, ok := interactionv1.CaseStatus_value[caseStatusPrefix+strings.ToUpper(name)]
	if !ok || v == 0 || strings.ToLower(name) != name {
		return 0, false
	}
	return interactionv1.CaseStatus(v), true
}

// CaseStatusNames lists the accepted case status names in protocol order.
func CaseStatusNames() []string {
	values := make([]int, 0, len(interactionv1.CaseStatus_name))
	for v := range interactionv1.CaseStatus_name {
		if v != 0 {
			values = append(values, int(v))
		}
	}
	sort.Ints(values)
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = CaseStatusName(interactionv1.CaseStatus(v))
	}
	return names
}

package knowledge

import (
	"sort"
	"strconv"

	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
)

// usage is what a condition reads of the citizen, derived from its checked
// syntax tree: it decides which facts an answer reports as used and which
// profile values the ambiguity check tries.
type usage struct {
	fields      map[string]bool // CitizenFacts fields selected on `citizen`
	profileKeys []string        // profile keys indexed by a constant, sorted
	profileAll  bool            // profile read in a way no constant key describes
	literals    []string        // constants of the condition, as strings
}

// maxLiterals bounds the constants one condition adds to the sample space.
const maxLiterals = 32

// allFields are the fields of CitizenFacts, for a condition that reads
// `citizen` as a whole.
var allFields = []string{"verified", "identifier_types", "cases", "profile", "recent", "interaction_count"}

// usageOf walks the checked tree of a condition.
func usageOf(a *ast.AST) usage {
	w := walker{a: a, u: usage{fields: map[string]bool{}}, used: map[int64]bool{}, keys: map[string]bool{}}
	ast.PreOrderVisit(a.Expr(), ast.NewExprVisitor(w.visit))
	for _, id := range w.citizens {
		if !w.used[id] {
			w.u.profileAll = true
			for _, f := range allFields {
				w.u.fields[f] = true
			}
		}
	}
	for _, id := range w.profiles {
		if !w.used[id] {
			w.u.profileAll = true
		}
	}
	for k := range w.keys {
		w.u.profileKeys = append(w.u.profileKeys, k)
	}
	sort.Strings(w.u.profileKeys)
	return w.u
}

// walker remembers every `citizen` and `citizen.profile` node, and which of
// them a recognised pattern consumed.
type walker struct {
	a        *ast.AST
	u        usage
	citizens []int64        // ids of `citizen` identifiers
	profiles []int64        // ids of `citizen.profile` selections
	used     map[int64]bool // ids consumed by a recognised pattern
	keys     map[string]bool
}

func (w *walker) visit(e ast.Expr) {
	switch e.Kind() {
	case ast.IdentKind:
		if w.isCitizen(e) {
			w.citizens = append(w.citizens, e.ID())
		}
	case ast.SelectKind:
		w.visitSelect(e)
	case ast.CallKind:
		w.visitCall(e.AsCall())
	case ast.LiteralKind:
		w.addLiteral(e.AsLiteral())
	}
}

// visitSelect records `citizen.<field>` and `citizen.profile.<key>`.
func (w *walker) visitSelect(e ast.Expr) {
	sel := e.AsSelect()
	op := sel.Operand()
	if w.isCitizen(op) {
		w.used[op.ID()] = true
		w.u.fields[sel.FieldName()] = true
		if sel.FieldName() == "profile" {
			w.profiles = append(w.profiles, e.ID())
		}
		return
	}
	if w.isProfile(op) {
		w.used[op.ID()] = true
		w.keys[sel.FieldName()] = true
	}
}

// visitCall records `citizen.profile["key"]` and `"key" in citizen.profile`.
func (w *walker) visitCall(c ast.CallExpr) {
	args := c.Args()
	if len(args) != 2 {
		return
	}
	m, k := args[0], args[1]
	switch c.FunctionName() {
	case operators.Index:
	case operators.In:
		m, k = args[1], args[0]
	default:
		return
	}
	if !w.isProfile(m) || k.Kind() != ast.LiteralKind {
		return
	}
	if key, ok := k.AsLiteral().(types.String); ok {
		w.used[m.ID()] = true
		w.keys[string(key)] = true
	}
}

// isCitizen reports whether e is the variable `citizen` (not a
// comprehension variable that shadows it with another type).
func (w *walker) isCitizen(e ast.Expr) bool {
	if e.Kind() != ast.IdentKind || e.AsIdent() != "citizen" {
		return false
	}
	t := w.a.GetType(e.ID())
	return t != nil && t.TypeName() == citizenType
}

// isProfile reports whether e is `citizen.profile`.
func (w *walker) isProfile(e ast.Expr) bool {
	return e.Kind() == ast.SelectKind && e.AsSelect().FieldName() == "profile" && w.isCitizen(e.AsSelect().Operand())
}

// addLiteral keeps string and number constants: a number n gives n-1, n
// and n+1, so that both sides of a comparison are tried.
func (w *walker) addLiteral(v any) {
	if len(w.u.literals) >= maxLiterals {
		return
	}
	switch v := v.(type) {
	case types.String:
		w.u.literals = append(w.u.literals, string(v))
	case types.Int:
		n := int64(v)
		w.u.literals = append(w.u.literals, strconv.FormatInt(n-1, 10), strconv.FormatInt(n, 10), strconv.FormatInt(n+1, 10))
	case types.Uint:
		w.u.literals = append(w.u.literals, strconv.FormatUint(uint64(v), 10))
	case types.Double:
		w.u.literals = append(w.u.literals, strconv.FormatFloat(float64(v), 'f', -1, 64))
	}
}

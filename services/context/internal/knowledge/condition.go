package knowledge

import (
	"fmt"
	"sync"

	"cel.dev/cel-go/cel"

	answerv1 "unisson.dev/proto/unisson/answer/v1"
)

// citizenType is the protobuf type conditions read through `citizen`.
const citizenType = "unisson.answer.v1.CitizenFacts"

// Bounds on a condition, so that no author (or fuzzer) can make the loader
// or a resolution slow.
const (
	maxConditionBytes = 4 << 10
	maxConditionCost  = 10_000
)

// celEnv declares `citizen`; an unknown field is then a type error.
var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Types(&answerv1.CitizenFacts{}),
		cel.Variable("citizen", cel.ObjectType(citizenType)),
		cel.ParserExpressionSizeLimit(maxConditionBytes),
		cel.ParserRecursionLimit(100),
	)
})

// condition is a compiled condition and what it reads.
type condition struct {
	prog cel.Program // nil: always true
	uses usage
}

// alwaysTrue is the condition of an answer that gives none.
func alwaysTrue() *condition { return &condition{} }

// celIssue is one compile problem, at a line of the condition's source.
type celIssue struct {
	line    int
	message string
}

// compileCondition parses and type-checks src. It returns a nil condition
// and the issues when src is not a valid boolean condition.
func compileCondition(src string) (*condition, []celIssue) {
	env, err := celEnv()
	if err != nil {
		return nil, []celIssue{{line: 1, message: fmt.Sprintf("expression language unavailable: %v", err)}}
	}
	if len(src) > maxConditionBytes {
		return nil, []celIssue{{line: 1, message: fmt.Sprintf("longer than %d bytes", maxConditionBytes)}}
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		var out []celIssue
		for _, e := range iss.Errors() {
			out = append(out, celIssue{line: max(e.Location.Line(), 1),
				message: fmt.Sprintf("column %d: %s", e.Location.Column()+1, e.Message)})
		}
		return nil, out
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, []celIssue{{line: 1, message: fmt.Sprintf("must give true or false, but gives a value of type %s", ast.OutputType())}}
	}
	prog, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(maxConditionCost))
	if err != nil {
		return nil, []celIssue{{line: 1, message: err.Error()}}
	}
	return &condition{prog: prog, uses: usageOf(ast.NativeRep())}, nil
}

// eval runs the condition; an evaluation error counts as "does not match"
// and is returned for the caller to log.
func (c *condition) eval(facts *answerv1.CitizenFacts) (bool, error) {
	if c == nil || c.prog == nil {
		return true, nil
	}
	out, _, err := c.prog.Eval(map[string]any{"citizen": facts})
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("condition gave %s, not a bool", out.Type())
	}
	return b, nil
}

package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"unisson.dev/services/bench/internal/dataset"
)

// Figure is one line of the report: a measured figure beside the raw
// figure of its building block, or a raw figure itself.
type Figure struct {
	// Key identifies the figure across runs ("getcontext_qps_c16").
	Key  string `json:"key"`
	Name string `json:"name"`
	// Mode is "redis" or "embedded" for Unisson's figures, the transport
	// ("tcp", "in-process") for raw ones.
	Mode  string  `json:"mode"`
	Unit  string  `json:"unit"`
	Value float64 `json:"value"`
	// Raw names the building block and RawValue is its figure in this run.
	Raw      string  `json:"raw,omitempty"`
	RawValue float64 `json:"raw_value,omitempty"`
	// Ratio is Value / RawValue.
	Ratio   float64 `json:"ratio,omitempty"`
	Target  string  `json:"target,omitempty"`
	Verdict string  `json:"verdict"`
	Load1   float64 `json:"load1"`
	Measure *Result `json:"measure,omitempty"`
}

// Verdicts.
const (
	Met      = "met"
	Missed   = "missed"
	Reported = "reported"
	Baseline = "baseline"
	// Bound is a ratio the building blocks allow at best.
	Bound = "bound"
)

// target is a figure's goal: a bound on the ratio or on the value.
type target struct {
	text       string
	ratioMin   float64
	ratioMax   float64
	valueMax   float64
	reportOnly bool
}

func (t target) verdict(f Figure) string {
	switch {
	case t.reportOnly || t.text == "":
		return Reported
	case t.ratioMin > 0 && f.Ratio < t.ratioMin,
		t.ratioMax > 0 && f.Ratio > t.ratioMax,
		t.valueMax > 0 && f.Value > t.valueMax:
		return Missed
	}
	return Met
}

// Machine is where the run happened; the load averages say how busy the
// machine was with other work.
type Machine struct {
	CPUs      int        `json:"cpus"`
	CPUModel  string     `json:"cpu_model"`
	MemoryGiB float64    `json:"memory_gib"`
	Kernel    string     `json:"kernel"`
	Go        string     `json:"go"`
	LoadStart [3]float64 `json:"load_start"`
	LoadEnd   [3]float64 `json:"load_end"`
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), LoadStart: loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err == nil {
			m.MemoryGiB = kb / (1 << 20)
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// Report is the result of a run.
type Report struct {
	Machine  Machine       `json:"machine"`
	Command  string        `json:"command"`
	Started  time.Time     `json:"started"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Config   Config        `json:"config"`
	Dataset  dataset.Stats `json:"dataset"`
	Small    dataset.Stats `json:"small_dataset"`
	Figures  []Figure      `json:"figures"`
	Warnings []string      `json:"warnings,omitempty"`
}

func (r *Report) baseline(key, name, mode, unit string, v float64, m *Result) {
	r.Figures = append(r.Figures, Figure{Key: key, Name: name, Mode: mode, Unit: unit, Value: v,
		Verdict: Baseline, Load1: loadAvg()[0], Measure: m})
}

// bound records the best ratio a target allows on this machine, from the
// same run's building blocks (docs/performance.md, "What two cores
// allow"): a ratio to the target's denominator that no implementation
// could pass.
func (r *Report) bound(key, name, mode string, v float64) {
	r.Figures = append(r.Figures, Figure{Key: key, Name: name, Mode: mode, Unit: "x", Value: v,
		Verdict: Bound, Load1: loadAvg()[0]})
}

func (r *Report) figure(key, name, mode, unit string, v float64, raw string, rawV float64, t target, m *Result) {
	f := Figure{Key: key, Name: name, Mode: mode, Unit: unit, Value: v, Raw: raw, RawValue: rawV,
		Target: t.text, Load1: loadAvg()[0], Measure: m}
	if rawV > 0 {
		f.Ratio = v / rawV
	}
	f.Verdict = t.verdict(f)
	r.Figures = append(r.Figures, f)
}

// Find returns the figure with key and mode.
func (r *Report) Find(key, mode string) (Figure, bool) {
	for _, f := range r.Figures {
		if f.Key == key && f.Mode == mode {
			return f, true
		}
	}
	return Figure{}, false
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// WriteTable prints the machine and the one table of the run.
func (r *Report) WriteTable(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "machine: %d CPUs (%s), %.1f GiB, Linux %s, %s; load average %.2f %.2f %.2f at start, %.2f %.2f %.2f at end\n",
		m.CPUs, m.CPUModel, m.MemoryGiB, m.Kernel, m.Go, m.LoadStart[0], m.LoadStart[1], m.LoadStart[2],
		m.LoadEnd[0], m.LoadEnd[1], m.LoadEnd[2])
	d := r.Dataset
	fmt.Fprintf(w, "data set: %d interactions over %d citizens (median %d, max %d per citizen, %d over 1000), text %d B; small store %d over %d; run took %s\n\n",
		d.Interactions, d.Citizens, d.MedianPerCitizen, d.MaxPerCitizen, d.Over1000, d.TextBytes,
		r.Small.Interactions, r.Small.Citizens, r.Elapsed.Round(time.Second))
	// A Markdown table, aligned for the terminal, so it pastes as is
	// into docs/performance.md.
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(tw, "| "+strings.Join(cells, "\t| ")+"\t|") }
	row("figure", "mode", "value", "raw building block (same run)", "raw", "ratio", "target", "verdict", "cpu µs/op", "load1")
	row("---", "---", "---:", "---", "---:", "---:", "---", "---", "---:", "---:")
	for _, f := range r.Figures {
		ratio, raw := "", ""
		if f.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", f.Ratio)
		}
		if f.RawValue > 0 {
			raw = format(f.RawValue, f.Unit)
		}
		verdict := f.Verdict
		if verdict == Missed {
			verdict = "**missed**"
		}
		row(f.Name, f.Mode, format(f.Value, f.Unit), f.Raw, raw, ratio, f.Target, verdict, cpuPerOp(f.Measure), fmt.Sprintf("%.2f", f.Load1))
	}
	_ = tw.Flush()
	for _, warn := range r.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
}

// cpuPerOp is the CPU time one operation of the phase cost: this
// process's, plus redis-server's when it worked. Over the two cores of
// the reference machine, 2,000,000 divided by their sum bounds the rate.
func cpuPerOp(m *Result) string {
	if m == nil || m.Ops == 0 {
		return ""
	}
	self, redis := m.CPUSelf*1e6/float64(m.Ops), m.CPURedis*1e6/float64(m.Ops)
	if redis < 0.05 {
		return fmt.Sprintf("%.1f", self)
	}
	return fmt.Sprintf("%.1f + %.1f", self, redis)
}

func format(v float64, unit string) string {
	switch unit {
	case "ms":
		return fmt.Sprintf("%.2f ms", v)
	case "B":
		return fmt.Sprintf("%.0f B", v)
	case "x":
		return fmt.Sprintf("%.2f×", v)
	default:
		return fmt.Sprintf("%.0f %s", v, unit)
	}
}

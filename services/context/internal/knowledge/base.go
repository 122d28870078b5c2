package knowledge

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxFileBytes bounds one file of a base.
const MaxFileBytes = 1 << 20

// Base is a validated knowledge base. It is immutable and safe for
// concurrent use.
type Base struct {
	version string
	files   map[string][]byte
	answers []*Answer            // by file, then position in the file
	byID    map[string]*Answer   //
	byTopic map[string][]*Answer // resolution order: priority descending, then id
	topics  []string
	matcher *matcher
}

// LoadDir loads the *.yaml and *.yml files of dir (not its subfolders).
// A base with problems is refused: the error is then a *LoadError.
func LoadDir(dir string) (*Base, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read knowledge folder: %w", err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isYAML(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read knowledge file: %w", err)
		}
		files[e.Name()] = data
	}
	return Parse(files)
}

// isYAML reports whether name is a file of a base.
func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// Parse loads a base from files by name, as LoadDir does from a folder;
// names that do not end in .yaml or .yml are ignored. The bytes are copied.
// A base with problems is refused: the error is then a *LoadError.
func Parse(files map[string][]byte) (*Base, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		if isYAML(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	b := &Base{files: map[string][]byte{}, byID: map[string]*Answer{}, byTopic: map[string][]*Answer{}}
	ps := &problems{}
	for _, name := range names {
		data := append([]byte(nil), files[name]...)
		b.files[name] = data
		if len(data) > MaxFileBytes {
			ps.add(name, 0, "larger than %d bytes", MaxFileBytes)
			continue
		}
		if root := decodeFile(name, data, ps); root != nil {
			b.answers = append(b.answers, decodeAnswers(name, root, ps)...)
		}
	}
	b.index(ps)
	checkAmbiguity(b, ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	b.version = contentVersion(names, b.files)
	b.matcher = newMatcher(b.topics, b.byTopic)
	return b, nil
}

// index refuses duplicate ids and orders each topic for resolution.
func (b *Base) index(ps *problems) {
	for _, a := range b.answers {
		if a.ID == "" {
			continue
		}
		if first, dup := b.byID[a.ID]; dup {
			ps.add(a.File, a.Line, "duplicate id %q: already used at %s:%d (an id has one version per base)", a.ID, first.File, first.Line)
			continue
		}
		b.byID[a.ID] = a
		if a.Topic != "" {
			b.byTopic[a.Topic] = append(b.byTopic[a.Topic], a)
		}
	}
	for t, list := range b.byTopic {
		b.topics = append(b.topics, t)
		sort.SliceStable(list, func(i, j int) bool {
			if list[i].Priority != list[j].Priority {
				return list[i].Priority > list[j].Priority
			}
			return list[i].ID < list[j].ID
		})
	}
	sort.Strings(b.topics)
}

// contentVersion is "kb-" and 16 hex digits of a hash of the files, so the
// same files give the same version on every service.
func contentVersion(names []string, files map[string][]byte) string {
	h := sha256.New()
	for _, n := range names {
		writeField(h, []byte(n))
		writeField(h, files[n])
	}
	return "kb-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// Version identifies the content of the base; it is recorded with every
// answer given.
func (b *Base) Version() string { return b.version }

// Files returns a copy of the files of the base, by name, for publishing
// exactly what was validated.
func (b *Base) Files() map[string][]byte {
	out := make(map[string][]byte, len(b.files))
	for n, d := range b.files {
		out[n] = append([]byte(nil), d...)
	}
	return out
}

// Answers returns every answer, by file and then position in the file.
func (b *Base) Answers() []*Answer { return append([]*Answer(nil), b.answers...) }

// Answer returns the answer with the given id.
func (b *Base) Answer(id string) (*Answer, bool) {
	a, ok := b.byID[id]
	return a, ok
}

// Topics returns the topics of the base, sorted.
func (b *Base) Topics() []string { return append([]string(nil), b.topics...) }

// MatchTopic finds the topic a free-text question is about, from the
// keywords of the answers; false when no topic scores MinMatchScore.
func (b *Base) MatchTopic(question string) (string, bool) { return b.matcher.match(question) }

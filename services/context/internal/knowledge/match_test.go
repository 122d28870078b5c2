package knowledge_test

import (
	"strings"
	"testing"
)

func TestMatchTopic(t *testing.T) {
	t.Parallel()
	b := loadExample(t)
	tests := []struct {
		question string
		want     string // "" for no topic
	}{
		{"Où en est ma demande d'APL ?", "housing.benefit"},
		{"OU EN EST MA DEMANDE D’APL", "housing.benefit"},
		{"Bonjour, j'aimerais savoir si j'ai droit à une aide au logement", "housing.benefit"},
		{"Comment payer mes impôts ?", "tax.income"},
		{"je n'ai pas reçu mon avis d'imposition", "tax.income"},
		{"je veux renouveler ma carte d'identité", "id.card"},
		{"Ma carte nationale d'identite est perimee", "id.card"},
		{"À partir de combien d'enfants touche-t-on les allocations familiales ?", "family.allowance"},
		{"Je voudrais prendre rendez-vous à la mairie", "town_hall.appointment"},
		{"xqzt blorp vvvv ???", ""},
		{"", ""},
		{"Il fait beau aujourd'hui", ""},
		{strings.Repeat("bla ", 600) + "impôts", ""}, // beyond the 2,000 bytes read
	}
	for _, tt := range tests {
		t.Run(tt.question[:min(len(tt.question), 40)], func(t *testing.T) {
			t.Parallel()
			got, ok := b.MatchTopic(tt.question)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("MatchTopic(%q) = %q, %v; want %q", tt.question, got, ok, tt.want)
			}
		})
	}
}

package dataset

import "strings"

// French first names and surnames, as found in civil registers: accents,
// hyphens and particles included, so identifiers and texts carry them.
var firstNames = []string{
	"Jeanne", "Marie", "Camille", "Léa", "Chloé", "Manon", "Inès", "Zoé", "Louise", "Anaïs",
	"Émilie", "Hélène", "Françoise", "Nathalie", "Sophie", "Isabelle", "Sylvie", "Aurélie", "Céline", "Noémie",
	"Gaëlle", "Océane", "Maëlys", "Agnès", "Bérénice", "Amina", "Fatima", "Yasmine", "Nadia", "Thi",
	"Jean", "Pierre", "Louis", "Lucas", "Hugo", "Théo", "Gabriel", "Jules", "Nathan", "Mathis",
	"François", "Jérôme", "Stéphane", "Frédéric", "Sébastien", "Benoît", "Grégoire", "Loïc", "Cédric", "Joël",
	"Jean-Pierre", "Jean-Luc", "Marie-Claire", "Anne-Sophie", "Mohamed", "Karim", "Youssef", "Mamadou", "Rémi", "Aurélien",
}

var lastNames = []string{
	"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
	"Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
	"Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
	"Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas",
	"Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin",
	"Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gaillard",
	"Le Gall", "Le Goff", "de La Fontaine", "Benali", "Haddad", "Diallo", "Traoré", "Lebrun", "Brunet", "Schmitt",
	"Caron", "Giraud", "Barbier", "Hubert", "Rolland", "Adam", "Lucas", "Bouvier", "Besson", "Œuvrard",
}

// domains are the mail providers French households use most, by weight.
var domains = []struct {
	name   string
	weight int
}{
	{"orange.fr", 22}, {"gmail.com", 25}, {"free.fr", 10}, {"laposte.net", 8}, {"sfr.fr", 7},
	{"wanadoo.fr", 6}, {"hotmail.fr", 8}, {"yahoo.fr", 5}, {"outlook.fr", 5}, {"icloud.com", 4},
}

// topics are the knowledge base's topics (deploy/knowledge) with the case
// reference prefix of the administration that handles them.
var topics = []struct{ name, prefix string }{
	{"family.allowance", "CAF-AF"},
	{"housing.benefit", "CAF-AL"},
	{"id.card", "ANTS-CNI"},
	{"tax.income", "DGFIP-IR"},
	{"town_hall.appointment", "MAIRIE-RDV"},
}

// sentences are pieces of what citizens write and agents note; texts are
// made of them, cut to the wanted size.
var sentences = []string{
	"Bonjour, je vous écris au sujet de mon dossier.",
	"Je n'ai toujours pas reçu de réponse à ma demande déposée le mois dernier.",
	"Pourriez-vous me dire quelles pièces justificatives manquent encore ?",
	"J'ai envoyé mon avis d'imposition et une quittance de loyer par courrier.",
	"Mon fils est né en mars et je souhaite mettre à jour la composition de mon foyer.",
	"Je déménage à Villeurbanne le 1er du mois prochain, voici ma nouvelle adresse.",
	"L'agent de l'accueil m'a indiqué qu'il fallait prendre rendez-vous en ligne.",
	"Ma carte d'identité expire dans deux mois et je pars à l'étranger cet été.",
	"Le montant versé ce mois-ci est inférieur à celui des mois précédents, pourquoi ?",
	"Je suis demandeuse d'emploi depuis janvier, cela change-t-il mes droits ?",
	"Appel reçu : la citoyenne demande l'état d'avancement, dossier en cours d'instruction.",
	"Rappel effectué, message laissé sur le répondeur, à rappeler demain matin.",
	"Pièce d'identité vérifiée au guichet, justificatif de domicile de moins de trois mois fourni.",
	"Je vous remercie par avance pour votre aide et reste disponible pour tout renseignement.",
	"Cordialement, et merci de bien vouloir accuser réception de ce message.",
	"Le site ne me laisse pas valider le formulaire à l'étape des revenus.",
	"Est-il possible d'obtenir un rendez-vous un samedi matin ?",
	"Votre dossier est complet, il sera examiné dans un délai de quinze jours.",
	"Nous avons besoin d'une attestation de la Caisse d'allocations familiales.",
	"Madame, Monsieur, suite à notre échange téléphonique, je vous transmets les documents demandés.",
}

// asciiFold maps the accented letters of French names to what people type
// in e-mail addresses.
var asciiFold = strings.NewReplacer(
	"à", "a", "â", "a", "ä", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ÿ", "y",
	"œ", "oe", "æ", "ae", "Œ", "oe", " ", "", "'", "",
)

func emailLocal(first, last string) string {
	return asciiFold.Replace(strings.ToLower(first)) + "." + asciiFold.Replace(strings.ToLower(last))
}

// Package knowledge holds the knowledge base of official answers (réponses
// types) and picks the one that applies to a citizen's situation.
//
// A base is a folder of YAML files. Each file is one YAML document whose
// root is a sequence of answers (a multi-document stream is refused, so a
// stray "---" cannot silently split a file). Every answer has an id, a
// topic, a version, a CEL condition over the citizen's facts
// (unisson.answer.v1.CitizenFacts, bound to the variable `citizen`) and one
// rendering per channel. A base is validated as a whole when it loads:
// every problem is reported with its file and line, and a base with any
// problem is refused, so the channels never see a half-valid base.
//
// The package is pure: it does no I/O besides LoadDir reading the folder,
// and the same base and facts always give the same answer, the same facts
// used and the same content hash, whichever channel asks.
package knowledge

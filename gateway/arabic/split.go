package arabic

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Paragraphs splits normalized text into its paragraphs. Joined again with
// "\n\n" they give back the text.
func Paragraphs(normalized string) []string {
	if normalized == "" {
		return nil
	}
	return strings.Split(normalized, "\n\n")
}

// Sentences splits text into sentences. Concatenated, the pieces give back
// the text exactly: each piece keeps its trailing white space.
//
// A sentence ends at . ! ? ؟ ؛ or … followed by white space (with any closing
// quotes or brackets kept on the sentence), and at every line break. A full
// stop does not end a sentence after an abbreviation (a single letter, a
// dotted acronym such as U.S., or a known title such as Dr), nor inside a
// quotation opened with « “ or ".
func Sentences(text string) []string {
	var (
		out      []string
		start    int
		depth    int  // nesting of « » and “ ”
		inASCII  bool // inside a "…" quotation
		terminal bool // the last significant rune ended a sentence
	)
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		next := i + size
		switch {
		case r == '\n':
			end := skipSpace(text, next)
			out = append(out, text[start:end])
			start, depth, inASCII, terminal = end, 0, false, false
			i = end
			continue
		case r == '«' || r == '“':
			depth++
			terminal = false
		case r == '»' || r == '”':
			if depth > 0 {
				depth--
			}
		case r == '"':
			inASCII = !inASCII
		case r == ')' || r == ']' || r == '’' || r == '\'':
			// Closing marks after a terminator stay with the sentence.
		case isTerminator(r):
			terminal = r != '.' || !abbreviationBefore(text[start:i])
		case unicode.IsSpace(r):
			if terminal && depth == 0 && !inASCII {
				end := skipSpace(text, i)
				if end < len(text) && text[end] == '\n' {
					// The line break will close this piece with its own space.
					i = next
					continue
				}
				out = append(out, text[start:end])
				start, terminal = end, false
				i = end
				continue
			}
			i = next
			continue
		default:
			terminal = false
		}
		i = next
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

func isTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '؟', '؛', '…':
		return true
	}
	return false
}

// skipSpace returns the index after the spaces and line breaks from i.
func skipSpace(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

// abbreviations that end in a full stop without ending the sentence.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "st": true, "jr": true, "sr": true,
	"gen": true, "col": true, "lt": true, "capt": true, "sgt": true, "gov": true, "sen": true, "rep": true,
	"inc": true, "ltd": true, "co": true, "corp": true, "vs": true, "etc": true, "no": true, "fig": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true, "sep": true,
	"sept": true, "oct": true, "nov": true, "dec": true,
	"ق.م": true, // BC: the other dotted Arabic abbreviations are single letters
}

// abbreviationBefore reports whether the word just before a full stop at the
// end of s is an abbreviation.
func abbreviationBefore(s string) bool {
	word := s[strings.LastIndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '(' || r == '«' || r == '“' || r == '"'
	})+1:]
	if word == "" {
		return false
	}
	if utf8.RuneCountInString(word) == 1 {
		r, _ := utf8.DecodeRuneInString(word)
		return unicode.IsLetter(r)
	}
	if strings.Contains(word, ".") {
		return true // U.S, e.g, ق.م
	}
	return abbreviations[strings.ToLower(word)]
}

// Package arabic prepares Arabic text for translation and for search:
// normalization at two strengths, script and language detection, and
// paragraph and sentence splitting that never loses a character.
package arabic

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const tatweel = '\u0640'

// Normalize applies light normalization: the form of the text that is sent
// to the model and hashed into cache keys. It composes to NFC, folds Arabic
// presentation forms to plain letters, removes tatweel, zero-width and bidi
// control characters, and unifies white space. Letters and diacritics stay
// as written, because folding them changes meaning (على "on", علي "Ali").
//
// Every line break becomes a paragraph break: paragraphs come out separated
// by exactly one blank line, with no blank paragraphs and no spaces at the
// ends of lines. Invalid UTF-8 becomes U+FFFD. Normalize is idempotent.
func Normalize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				i++
			}
			b.WriteByte('\n')
		case r == '\n' || r == '\u0085' || r == '\u2028' || r == '\u2029' || r == '\v' || r == '\f':
			b.WriteByte('\n')
		case r == tatweel || isInvisible(r):
		case isPresentationForm(r):
			// NFKC of a single presentation form is its plain letters; other
			// compatibility folds (ligatures, full-width digits) are left alone.
			b.WriteString(norm.NFKC.String(string(r)))
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return joinParagraphs(norm.NFC.String(b.String()))
}

// joinParagraphs trims and collapses spaces on each line and joins the
// non-empty lines with a blank line between them.
func joinParagraphs(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(line)
	}
	return b.String()
}

// isPresentationForm reports whether r is an Arabic presentation form
// (contextual glyph variants that some PDFs and old systems emit).
func isPresentationForm(r rune) bool {
	return (r >= 0xFB50 && r <= 0xFDFF) || (r >= 0xFE70 && r <= 0xFEFE)
}

// isInvisible reports zero-width and bidirectional control characters.
func isInvisible(r rune) bool {
	switch r {
	case '\u00AD', // soft hyphen
		'\u061C',                     // Arabic letter mark
		'\u180E',                     // Mongolian vowel separator
		'\u200B', '\u200C', '\u200D', // zero width space, non-joiner, joiner
		'\u200E', '\u200F', // LRM, RLM
		'\u2060', '\u2061', '\u2062', '\u2063', '\u2064', // word joiner, invisible operators
		'\uFEFF': // BOM, zero width no-break space
		return true
	}
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// Fold applies search normalization on top of Normalize: diacritics removed,
// alef variants folded to bare alef, alef maqsura to yeh, teh marbuta to
// heh, Persian yeh and kaf to their Arabic forms, Arabic-Indic and Persian
// digits to ASCII, and Latin letters lowercased. Use it to compare text,
// never to produce text for a reader.
func Fold(s string) string {
	s = Normalize(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if IsDiacritic(r) {
			continue
		}
		b.WriteRune(foldRune(r))
	}
	// A diacritic alone between spaces leaves a double space behind.
	return joinParagraphs(b.String())
}

func foldRune(r rune) rune {
	switch r {
	case 'آ', 'أ', 'إ', 'ٱ', '\u0672', '\u0673':
		return 'ا'
	case 'ى', 'ی':
		return 'ي'
	case 'ة':
		return 'ه'
	case 'ک':
		return 'ك'
	case '٫':
		return '.'
	case '٬':
		return ','
	}
	if d, ok := asciiDigit(r); ok {
		return d
	}
	if r < 0x250 {
		return unicode.ToLower(r)
	}
	return r
}

// IsDiacritic reports Arabic harakat, tanween, shadda, sukun, the dagger
// alef and Quranic annotation marks.
func IsDiacritic(r rune) bool {
	return (r >= 0x0610 && r <= 0x061A) || (r >= 0x064B && r <= 0x065F) || r == 0x0670 ||
		(r >= 0x06D6 && r <= 0x06DC) || (r >= 0x06DF && r <= 0x06E4) || r == 0x06E7 || r == 0x06E8 ||
		(r >= 0x06EA && r <= 0x06ED)
}

// asciiDigit maps Arabic-Indic (٠-٩) and Persian (۰-۹) digits to ASCII.
func asciiDigit(r rune) (rune, bool) {
	switch {
	case r >= '٠' && r <= '٩':
		return '0' + (r - '٠'), true
	case r >= '۰' && r <= '۹':
		return '0' + (r - '۰'), true
	}
	return r, false
}

// ASCIIDigits rewrites Arabic-Indic and Persian digits, and the Arabic
// decimal and thousands separators, as ASCII. Go's strconv and regexp \d
// read only ASCII digits.
func ASCIIDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '٫':
			return '.'
		case '٬':
			return ','
		}
		d, _ := asciiDigit(r)
		return d
	}, s)
}

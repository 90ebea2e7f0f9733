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
	var w spaceWriter
	w.b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r >= 'ء' && r <= 'ي' && r != tatweel, r >= 'ً' && r <= 'ٟ', r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			w.rune(r) // the common case, first
		case r == ' ' || r == '\t':
			w.space()
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				i++
			}
			w.newline()
		case r == '\n' || r == '\u0085' || r == '\u2028' || r == '\u2029' || r == '\v' || r == '\f':
			w.newline()
		case r == tatweel || isInvisible(r):
		case isPresentationForm(r):
			// NFKC of a single presentation form is its plain letters; other
			// compatibility folds (ligatures, full-width digits) are left alone.
			for _, f := range norm.NFKC.String(string(r)) {
				if f == ' ' {
					w.space()
				} else {
					w.rune(f)
				}
			}
		case unicode.IsSpace(r):
			w.space()
		case unicode.IsControl(r):
		default:
			w.rune(r)
		}
	}
	// NFC changes no white space, so it can come last; it returns its
	// input unchanged when that is already in NFC.
	return norm.NFC.String(w.b.String())
}

// spaceWriter writes text with white space unified as it goes: runs of
// spaces become one, line breaks become one blank line between paragraphs,
// and nothing is left at the ends of lines or of the text.
type spaceWriter struct {
	b           strings.Builder
	sp, newpara bool // a space, or a paragraph break, is due before the next rune
}

func (w *spaceWriter) space() {
	if w.b.Len() > 0 && !w.newpara {
		w.sp = true
	}
}

func (w *spaceWriter) newline() {
	if w.b.Len() > 0 {
		w.newpara, w.sp = true, false
	}
}

func (w *spaceWriter) rune(r rune) {
	switch {
	case w.newpara:
		w.b.WriteString("\n\n")
	case w.sp:
		w.b.WriteByte(' ')
	}
	w.newpara, w.sp = false, false
	w.b.WriteRune(r)
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
func Fold(s string) string { return FoldNormalized(Normalize(s)) }

// FoldNormalized is Fold for text that Normalize has already returned.
func FoldNormalized(s string) string {
	var w spaceWriter
	w.b.Grow(len(s))
	for _, r := range s {
		switch {
		case IsDiacritic(r):
			// A diacritic alone between spaces would leave two behind.
		case r == ' ':
			w.space()
		case r == '\n':
			w.newline()
		default:
			w.rune(foldRune(r))
		}
	}
	return w.b.String()
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

package arabic

import "unicode"

// Letters counts the letters of a text by script.
type Letters struct {
	Arabic int // letters of the Arabic script (any language written in it)
	Latin  int
	Other  int
}

// CountLetters counts letters only: digits, punctuation and marks do not
// tell a script apart.
func CountLetters(s string) Letters {
	var l Letters
	for _, r := range s {
		l.add(script(r))
	}
	return l
}

type scriptKind int

const (
	notLetter scriptKind = iota
	arabicLetter
	latinLetter
	otherLetter
)

// script classifies a rune, the common ranges first: table lookups are
// what this costs on a whole article.
func script(r rune) scriptKind {
	switch {
	case r >= 'ء' && r <= 'ي' && r != tatweel, r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		if r < 0x80 {
			return latinLetter
		}
		return arabicLetter
	case r < 0x80, r >= 'ً' && r <= '٩', !unicode.IsLetter(r):
		return notLetter
	case unicode.Is(unicode.Arabic, r):
		return arabicLetter
	case unicode.Is(unicode.Latin, r):
		return latinLetter
	}
	return otherLetter
}

func (l *Letters) add(k scriptKind) {
	switch k {
	case arabicLetter:
		l.Arabic++
	case latinLetter:
		l.Latin++
	case otherLetter:
		l.Other++
	}
}

// Total is the number of letters counted.
func (l Letters) Total() int { return l.Arabic + l.Latin + l.Other }

// ArabicShare is the share of letters in Arabic script, from 0 to 1.
func (l Letters) ArabicShare() float64 {
	if l.Total() == 0 {
		return 0
	}
	return float64(l.Arabic) / float64(l.Total())
}

// minDetectShare is the share of Arabic-script letters from which a text
// counts as written in an Arabic-script language. Arabic news quotes Latin
// names, brands and acronyms; well under half of letters is still Arabic.
const minDetectShare = 0.2

// DetectLanguage guesses which Arabic-script language a text is written in:
// "ar", "fa" (Persian) or "ur" (Urdu). Persian and Urdu write yeh and kaf as
// ی and ک where Arabic writes ي and ك, and Urdu adds letters of its own
// (ٹ ڈ ڑ ں ے ھ). It returns false when the text is not mainly in Arabic
// script.
func DetectLanguage(s string) (string, bool) {
	var letters Letters
	var arabicForms, persianForms, urduLetters int
	for _, r := range s {
		k := script(r)
		letters.add(k)
		if k != arabicLetter {
			continue
		}
		switch r {
		case 'ي', 'ك', 'ى':
			arabicForms++
		case 'ی', 'ک':
			persianForms++
		case 'ٹ', 'ڈ', 'ڑ', 'ں', 'ے', 'ھ':
			urduLetters++
		}
	}
	if letters.Arabic == 0 || letters.ArabicShare() < minDetectShare {
		return "", false
	}
	switch {
	case persianForms+urduLetters <= arabicForms:
		return "ar", true
	case urduLetters*50 >= letters.Arabic: // at least 2% of letters
		return "ur", true
	}
	return "fa", true
}

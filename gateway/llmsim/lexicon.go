package llmsim

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dragoman-news/dragoman/gateway/arabic"
)

// lexicon holds common words of Arabic news, in folded form (see
// arabic.Fold), with a rough English rendering.
var lexicon = map[string]string{
	"قال": "said", "قالت": "said", "اعلن": "announced", "اعلنت": "announced", "اكد": "confirmed", "اكدت": "confirmed",
	"ذكر": "reported", "ذكرت": "reported", "نقل": "quoted", "نقلت": "quoted", "اضاف": "added", "اضافت": "added",
	"رئيس": "head", "الرئيس": "president", "رئيسي": "heads", "وزير": "minister", "الوزراء": "ministers", "وزاره": "ministry",
	"حكومه": "government", "الحكومه": "government", "الحكومتين": "two governments", "دوله": "state", "الدوله": "state",
	"مجلس": "council", "وكاله": "agency", "انباء": "news", "للانباء": "news", "الاعلامي": "media", "المكتب": "office",
	"المتحدث": "spokesman", "باسم": "for", "الكرملين": "Kremlin", "الصين": "China", "الصيني": "Chinese", "الصينيه": "Chinese",
	"روسيا": "Russia", "الروسي": "Russian", "الروسيه": "Russian", "موسكو": "Moscow", "بكين": "Beijing", "واشنطن": "Washington",
	"الولايات": "States", "المتحده": "United", "الامريكي": "American", "الامريكيه": "American", "اوكرانيا": "Ukraine",
	"الغرب": "the West", "الغربيه": "Western", "الغربي": "Western", "العاصمه": "capital", "مدينه": "city",
	"اليوم": "today", "امس": "yesterday", "غدا": "tomorrow", "الثلاثاء": "Tuesday", "الاثنين": "Monday", "الجمعه": "Friday",
	"الاربعاء": "Wednesday", "الخميس": "Thursday", "السبت": "Saturday", "الاحد": "Sunday", "يوم": "day", "يومين": "two days",
	"ايام": "days", "العام": "year", "عام": "year", "الماضي": "last", "يناير": "January", "فبراير": "February", "مارس": "March",
	"ابريل": "April", "مايو": "May", "يونيو": "June", "يوليو": "July", "اغسطس": "August", "سبتمبر": "September",
	"اكتوبر": "October", "نوفمبر": "November", "ديسمبر": "December",
	"في": "in", "من": "from", "الي": "to", "علي": "on", "عن": "about", "مع": "with", "بين": "between", "بعد": "after",
	"قبل": "before", "منذ": "since", "خلال": "during", "حول": "over", "عبر": "across", "ان": "that", "انه": "that it",
	"الذي": "which", "التي": "which", "الذين": "who", "هذا": "this", "هذه": "this", "ذلك": "that", "تلك": "that",
	"كان": "was", "كانت": "was", "يكون": "is", "لا": "not", "لم": "did not", "لن": "will not", "قد": "had", "او": "or",
	"ثم": "then", "كما": "as", "اذ": "as", "بينما": "while", "رغم": "despite", "حيث": "where", "اجل": "sake",
	"الحين": "time", "مرارا": "repeatedly", "اكبر": "biggest", "جديد": "new", "الجديده": "new", "الجديدين": "new",
	"اجتمع": "met", "لقاء": "meeting", "اجتماع": "meeting", "اجتماعا": "a meeting", "زياره": "visit", "للزياره": "to the visit",
	"محادثات": "talks", "المحادثات": "talks", "التعاون": "cooperation", "تعزيز": "strengthening", "العلاقات": "relations",
	"الثنائيه": "bilateral", "التجاره": "trade", "التجاريه": "trade", "الاقتصادي": "economic", "الاقتصاديه": "economic",
	"الطاقه": "energy", "التكنولوجيا": "technology", "التكنولوجي": "technological", "الامنيه": "security", "المصالح": "interests",
	"المشتركه": "shared", "الشراكه": "partnership", "شراكه": "partnership", "شراكات": "partnerships", "حدود": "limits", "الحدود": "borders",
	"اتفاقيه": "agreement", "العقوبات": "sanctions", "الضغوط": "pressure", "ضغوط": "pressure", "حليف": "ally", "منافس": "rival",
	"تهديد": "threat", "العمليه": "operation", "العسكريه": "military", "غزو": "invasion", "حرب": "war", "الحرب": "war",
	"السلام": "peace", "الامن": "security", "الجيش": "army", "قوات": "forces", "القوات": "forces", "هجوم": "attack",
	"مقتل": "killing", "قتلي": "dead", "جرحي": "wounded", "الشرطه": "police", "مسؤول": "official", "مسؤولون": "officials",
	"المتوقع": "expected", "تركز": "focus", "يجري": "holds", "تستغرق": "lasting", "توجه": "headed", "يتوجه": "heads",
	"تريد": "wants", "الدفاع": "defense", "اهميه": "importance", "بالغه": "great", "يولي": "attaches", "الزراعه": "agriculture",
	"النقل": "transport", "الصناعي": "industrial", "المتقدمه": "advanced", "توسيع": "expanding", "ارتفع": "rose",
	"انخفض": "fell", "بنسبه": "by", "مليون": "million", "مليار": "billion", "الف": "thousand", "دولار": "dollars",
	"المئه": "percent", "نحو": "about", "اكثر": "more", "اقل": "less", "جميع": "all", "كل": "every", "بعض": "some",
}

// clitics are prefixes glued to Arabic words, longest first.
var clitics = []struct{ prefix, english string }{
	{"وال", "and the"}, {"بال", "with the"}, {"لل", "for the"}, {"فال", "so the"}, {"كال", "like the"},
	{"و", "and"}, {"ف", "so"}, {"ب", "in"}, {"ل", "for"}, {"ال", "the"},
}

// renderWord renders one white-space-delimited token.
func renderWord(tok string) string {
	lead, core, trail := splitPunct(tok)
	parts := strings.Split(core, "-")
	for i, part := range parts {
		parts[i] = renderCore(part)
	}
	return punct(lead) + strings.Join(parts, "-") + punct(trail)
}

func renderCore(w string) string {
	if w == "" {
		return ""
	}
	if !hasArabic(w) {
		return arabic.ASCIIDigits(w)
	}
	folded := arabic.Fold(w)
	if en, ok := lexicon[folded]; ok {
		return en
	}
	for _, c := range clitics {
		rest := strings.TrimPrefix(folded, c.prefix)
		if rest == folded || utf8.RuneCountInString(rest) < 2 {
			continue
		}
		if en, ok := lexicon[rest]; ok {
			return c.english + " " + en
		}
		if en, ok := lexicon["ال"+rest]; ok && strings.HasSuffix(c.english, "the") {
			return c.english + " " + en
		}
	}
	return transliterate(folded)
}

var latin = map[rune]string{
	'ا': "a", 'ب': "b", 'ت': "t", 'ث': "th", 'ج': "j", 'ح': "h", 'خ': "kh", 'د': "d", 'ذ': "dh", 'ر': "r",
	'ز': "z", 'س': "s", 'ش': "sh", 'ص': "s", 'ض': "d", 'ط': "t", 'ظ': "z", 'ع': "a", 'غ': "gh", 'ف': "f",
	'ق': "q", 'ك': "k", 'ل': "l", 'م': "m", 'ن': "n", 'ه': "h", 'و': "w", 'ي': "y", 'ء': "", 'ؤ': "u",
	'ئ': "i", 'پ': "p", 'چ': "ch", 'گ': "g", 'ژ': "zh", 'ڤ': "v",
}

// transliterate spells a folded Arabic word in Latin letters, capitalized,
// since words missing from the lexicon are mostly names.
func transliterate(w string) string {
	var b strings.Builder
	for _, r := range w {
		if s, ok := latin[r]; ok {
			b.WriteString(s)
		} else if !unicode.Is(unicode.Arabic, r) {
			b.WriteRune(r)
		}
	}
	out := []rune(b.String())
	if len(out) == 0 {
		return ""
	}
	out[0] = unicode.ToUpper(out[0])
	return string(out)
}

func hasArabic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// splitPunct separates leading and trailing punctuation from a token.
func splitPunct(tok string) (lead, core, trail string) {
	isP := func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }
	start := strings.IndexFunc(tok, func(r rune) bool { return !isP(r) })
	if start < 0 {
		return tok, "", ""
	}
	end := strings.LastIndexFunc(tok, func(r rune) bool { return !isP(r) })
	_, size := utf8.DecodeRuneInString(tok[end:])
	return tok[:start], tok[start : end+size], tok[end+size:]
}

// latinPunct maps Arabic punctuation to its Latin counterpart.
var latinPunct = strings.NewReplacer("،", ",", "؛", ";", "؟", "?", "«", "\"", "»", "\"", "٪", "%", "٫", ".", "٬", ",")

func punct(s string) string {
	if s == "" {
		return s
	}
	return latinPunct.Replace(s)
}

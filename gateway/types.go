package gateway

import (
	"strings"
	"unicode/utf8"
)

// Input formats.
const (
	FormatText = "text"
	FormatHTML = "html"
)

// Summary bullet limits.
const (
	MinBullets     = 1
	MaxBullets     = 10
	DefaultBullets = 5
)

// Article is the text every task starts from, and the options that shape
// how it is read.
type Article struct {
	Text string `json:"text"`
	// Format is "text" (the default) or "html": readable text is extracted
	// from HTML, keeping its paragraphs.
	Format string `json:"format,omitempty"`
	// Title, if known, is given to the model as context.
	Title      string `json:"title,omitempty"`
	SourceLang string `json:"source_lang,omitempty"` // "auto" (default), or a language code
	TargetLang string `json:"target_lang,omitempty"` // default "en"
	// Glossary fixes renderings for this request: Arabic term => English.
	Glossary map[string]string `json:"glossary,omitempty"`
	// Glossaries names glossaries from the glossary file to apply too.
	Glossaries []string `json:"glossaries,omitempty"`
}

// TranslateRequest asks for a translation.
type TranslateRequest struct {
	Article
	// Refresh skips the cache lookup (but stores the new answer).
	Refresh bool `json:"-"`
}

// SummarizeRequest asks for a headline and bullets.
type SummarizeRequest struct {
	Article
	Bullets int  `json:"bullets,omitempty"` // 1..10, default 5
	Refresh bool `json:"-"`
}

// Translation is the answer to a TranslateRequest.
type Translation struct {
	Translation string `json:"translation"`
	SourceLang  string `json:"source_lang"`
	TargetLang  string `json:"target_lang"`
	Model       string `json:"model"`
	Cached      bool   `json:"cached"`
	Demo        bool   `json:"demo,omitempty"`
	// Paragraphs is the number of paragraphs, the same in and out.
	Paragraphs int `json:"paragraphs"`
	// Usage is what this request spent: zero when served from the cache.
	Usage Usage `json:"usage"`
	// GlossaryMissed lists glossary renderings the answer did not use.
	GlossaryMissed []string `json:"glossary_missed,omitempty"`
	// Coalesced is true when the answer was computed for a concurrent
	// identical request and shared with this one.
	Coalesced bool `json:"-"`
}

// Summary is the answer to a SummarizeRequest.
type Summary struct {
	Headline   string   `json:"headline"`
	Bullets    []string `json:"bullets"`
	SourceLang string   `json:"source_lang"`
	TargetLang string   `json:"target_lang"`
	Model      string   `json:"model"`
	Cached     bool     `json:"cached"`
	Demo       bool     `json:"demo,omitempty"`
	Usage      Usage    `json:"usage"`
	Coalesced  bool     `json:"-"`
}

// Limits bound what a request may ask for.
type Limits struct {
	MaxTextBytes int // the article, before normalization
}

// validate checks the fields every task shares and fills in defaults.
func (a *Article) validate(l Limits) error {
	if !utf8.ValidString(a.Text) {
		return FieldError(CodeInvalidUTF8, "text", "The text is not valid UTF-8.")
	}
	if a.Text == "" {
		return FieldError(CodeMissingField, "text", "The text field is required.")
	}
	if l.MaxTextBytes > 0 && len(a.Text) > l.MaxTextBytes {
		return FieldError(CodeTextTooLong, "text", "The text is %d bytes; the limit is %d (DRAGOMAN_MAX_ARTICLE_BYTES).", len(a.Text), l.MaxTextBytes)
	}
	switch a.Format = strings.ToLower(strings.TrimSpace(a.Format)); a.Format {
	case "":
		a.Format = FormatText
	case FormatText, FormatHTML:
	default:
		return FieldError(CodeInvalidField, "format", "format must be %q or %q.", FormatText, FormatHTML)
	}
	if !utf8.ValidString(a.Title) {
		return FieldError(CodeInvalidUTF8, "title", "The title is not valid UTF-8.")
	}
	if len(a.Title) > 1000 {
		return FieldError(CodeInvalidField, "title", "The title must be at most 1000 bytes.")
	}
	if a.SourceLang = strings.ToLower(strings.TrimSpace(a.SourceLang)); a.SourceLang == "" {
		a.SourceLang = AutoLanguage
	}
	if _, ok := LookupLanguage(a.SourceLang); !ok && a.SourceLang != AutoLanguage {
		return FieldError(CodeUnsupportedLanguage, "source_lang", "source_lang %q is not supported; use one of %s.", a.SourceLang, strings.Join(SourceLanguageCodes(), ", "))
	}
	if a.TargetLang = strings.ToLower(strings.TrimSpace(a.TargetLang)); a.TargetLang == "" {
		a.TargetLang = "en"
	}
	if l, ok := LookupLanguage(a.TargetLang); !ok || l.ArabicScript {
		return FieldError(CodeUnsupportedLanguage, "target_lang", "target_lang %q is not supported; use one of %s.", a.TargetLang, strings.Join(TargetLanguageCodes(), ", "))
	}
	if a.SourceLang == a.TargetLang {
		return FieldError(CodeInvalidField, "target_lang", "target_lang must differ from source_lang.")
	}
	if len(a.Glossary) > 500 {
		return FieldError(CodeInvalidField, "glossary", "The glossary may hold at most 500 terms.")
	}
	for src, dst := range a.Glossary {
		if !utf8.ValidString(src) || !utf8.ValidString(dst) {
			return FieldError(CodeInvalidUTF8, "glossary", "The glossary is not valid UTF-8.")
		}
		if strings.TrimSpace(src) == "" || strings.TrimSpace(dst) == "" || strings.ContainsAny(src+dst, "\n\r") ||
			len(src) > 200 || len(dst) > 200 {
			return FieldError(CodeInvalidField, "glossary", "Glossary terms and renderings must be non-empty single lines of at most 200 bytes.")
		}
	}
	return nil
}

func (r *TranslateRequest) validate(l Limits) error { return r.Article.validate(l) }

// validate checks a summary request and fills in defaults.
func (r *SummarizeRequest) validate(l Limits) error {
	if err := r.Article.validate(l); err != nil {
		return err
	}
	if r.Bullets == 0 {
		r.Bullets = DefaultBullets
	}
	if r.Bullets < MinBullets || r.Bullets > MaxBullets {
		return FieldError(CodeInvalidField, "bullets", "bullets must be between %d and %d.", MinBullets, MaxBullets)
	}
	return nil
}

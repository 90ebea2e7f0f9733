// Package gateway is Dragoman's domain: the request and answer types, the
// error codes, and the pipeline that turns an Arabic article into an
// English translation or summary (normalize, detect, look up, chunk, prompt,
// call the model, check the answer, store it). It is plain Go, with no HTTP:
// adapters (gateway/httpapi, gateway/llm, gateway/store) depend on it, never
// the other way round.
package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dragoman-news/dragoman/cache"
	"github.com/dragoman-news/dragoman/gateway/arabic"
	"github.com/dragoman-news/dragoman/gateway/extract"
	"github.com/dragoman-news/dragoman/gateway/glossary"
	"github.com/dragoman-news/dragoman/prompts"
)

// Config sets the service's models and limits.
type Config struct {
	TranslationModel string
	SummaryModel     string
	// NotReady, when set, says why no model is configured: every task then
	// fails with model_not_configured and this text.
	NotReady string
	// Demo marks every answer as coming from the built-in simulator.
	Demo   bool
	Limits Limits
	// ChunkTokens is the budget of article tokens (o200k) per translation call.
	ChunkTokens int
	// SummaryChunkTokens is the budget per summary call; longer articles are
	// summarized in two steps (notes per part, then the summary).
	SummaryChunkTokens int
	// ChunkConcurrency bounds the parallel calls of one request, under the
	// model client's global cap.
	ChunkConcurrency int
	// MaxOutputTokens is the token limit of each answer.
	MaxOutputTokens int
}

// Deps are the service's collaborators.
type Deps struct {
	Model    Model
	Prompts  *prompts.Set
	Cache    cache.Tier // where answers are stored (often a *cache.Layered)
	CacheTTL time.Duration
	Glossary *glossary.Glossary
	// Tokens counts tokens; nil means o200k.
	Tokens TokenCounter
}

// Service translates and summarizes articles.
type Service struct {
	cfg      Config
	model    Model
	prompts  *prompts.Set
	cache    *cache.Cache[StreamEvent]
	glossary *glossary.Glossary
	tokens   TokenCounter
	summary  summarySchemas

	translateHash, summarizeHash, composeHash string
	glossaryPrint                             string // the glossary's fingerprint, for keys
}

// NewService checks cfg and deps and returns a service.
func NewService(cfg Config, deps Deps) (*Service, error) {
	if deps.Prompts == nil || deps.Cache == nil {
		return nil, errors.New("gateway: Prompts and Cache are required")
	}
	if deps.Model == nil && cfg.NotReady == "" {
		return nil, errors.New("gateway: a Model is required unless NotReady says why there is none")
	}
	if cfg.SummaryModel == "" {
		cfg.SummaryModel = cfg.TranslationModel
	}
	cfg.ChunkTokens = max(cfg.ChunkTokens, 50)
	cfg.SummaryChunkTokens = max(cfg.SummaryChunkTokens, cfg.ChunkTokens)
	cfg.ChunkConcurrency = max(cfg.ChunkConcurrency, 1)
	s := &Service{
		cfg:      cfg,
		model:    deps.Model,
		prompts:  deps.Prompts,
		cache:    cache.New[StreamEvent](deps.Cache, deps.CacheTTL),
		glossary: deps.Glossary,
		tokens:   deps.Tokens,
	}
	if s.glossary == nil {
		s.glossary = &glossary.Glossary{}
	}
	if s.tokens == nil {
		s.tokens = O200k()
	}
	s.glossaryPrint = s.glossary.Fingerprint()
	var err error
	if s.translateHash, err = deps.Prompts.Hash("translate.tmpl"); err != nil {
		return nil, err
	}
	if s.summarizeHash, err = deps.Prompts.Hash("summarize.tmpl", "summary.schema.json", "notes.tmpl", "notes.schema.json"); err != nil {
		return nil, err
	}
	if s.composeHash, err = deps.Prompts.Hash("story.tmpl", "topline.tmpl", "summarize.tmpl", "summary.schema.json"); err != nil {
		return nil, err
	}
	if s.summary, err = compileSummarySchemas(deps.Prompts); err != nil {
		return nil, err
	}
	return s, nil
}

// Ready returns nil when a model is configured, or the reason none is.
func (s *Service) Ready() error {
	if s.cfg.NotReady != "" {
		return Errorf(CodeModelNotConfigured, "%s", s.cfg.NotReady)
	}
	return nil
}

// CacheCounts returns the answer cache's lookups by outcome.
func (s *Service) CacheCounts() cache.Counts { return s.cache.Counts() }

// Models returns the translation and summary models.
func (s *Service) Models() (translation, summary string) {
	return s.cfg.TranslationModel, s.cfg.SummaryModel
}

// prepared is an article ready for the pipeline.
type prepared struct {
	text   string // light-normalized
	paras  []string
	source Language
	target Language
	title  string
	// The glossary as asked for. The terms that occur in the text are
	// selected only when a model is called (see selectTerms): a cache hit
	// does not need them.
	glossary   map[string]string
	glossaries []string
	terms      []glossary.Term
}

// prepare reads a validated article: it extracts HTML, normalizes and
// detects the language.
func (s *Service) prepare(a *Article) (*prepared, error) {
	text, title := a.Text, a.Title
	if a.Format == FormatHTML {
		doc, err := extract.HTML([]byte(a.Text), nil)
		if err != nil && !errors.Is(err, extract.ErrNoText) {
			return nil, Wrap(CodeInvalidField, err, "The HTML could not be read.")
		}
		text = doc.Text
		if title == "" {
			title = doc.Title
		}
	}
	p := &prepared{text: arabic.Normalize(text), title: arabic.Normalize(title)}
	if p.text == "" {
		return nil, FieldError(CodeEmptyText, "text", "The text is empty once white space, control and formatting characters are removed.")
	}
	p.paras = arabic.Paragraphs(p.text)
	p.target, _ = LookupLanguage(a.TargetLang)
	if a.SourceLang == AutoLanguage {
		code, ok := arabic.DetectLanguage(p.text)
		if !ok {
			return nil, FieldError(CodeNotArabic, "text", "No Arabic-script text was found; to translate from another language, set source_lang.")
		}
		p.source, _ = LookupLanguage(code)
	} else {
		p.source, _ = LookupLanguage(a.SourceLang)
		if p.source.ArabicScript && arabic.CountLetters(p.text).Arabic == 0 {
			return nil, FieldError(CodeNotArabic, "text", "source_lang is %q but the text has no Arabic-script letters.", a.SourceLang)
		}
	}
	if p.title == "" && len(p.paras) > 1 {
		p.title = derivedTitle(p.paras[0])
	}
	for _, name := range a.Glossaries {
		if !s.glossary.Has(name) {
			return nil, FieldError(CodeInvalidField, "glossaries", "There is no glossary %q; the glossaries are: %s.", name, strings.Join(s.glossary.Names(), ", "))
		}
	}
	p.glossary, p.glossaries = a.Glossary, a.Glossaries
	return p, nil
}

// selectTerms picks the glossary terms that occur in the article.
func (s *Service) selectTerms(p *prepared) error {
	terms, err := s.glossary.Select(p.text, p.glossaries, p.glossary)
	if err != nil {
		return Wrap(CodeInvalidField, err, "The glossary is invalid.")
	}
	p.terms = terms
	return nil
}

// derivedTitle takes a short first paragraph without a full stop, in the
// source script, as the title.
func derivedTitle(first string) string {
	last, _ := utf8.DecodeLastRuneInString(first)
	if utf8.RuneCountInString(first) > 150 || strings.ContainsRune(".!?؟:", last) {
		return ""
	}
	if arabic.CountLetters(first).Arabic == 0 {
		return ""
	}
	return first
}

// options are the parts of a cache key that come from the request and the
// glossary: the request's own terms and glossary names, and the loaded
// glossaries' fingerprint.
func (s *Service) options(p *prepared, extra map[string]string) map[string]string {
	own, _ := json.Marshal(p.glossary)
	names, _ := json.Marshal(p.glossaries)
	opts := map[string]string{
		"source": p.source.Code, "target": p.target.Code,
		"glossary": string(own), "glossaries": string(names), "glossary-print": s.glossaryPrint,
	}
	for k, v := range extra {
		opts[k] = v
	}
	return opts
}

// nonce derives the article markers' tag from the text they enclose, so
// that the text cannot contain its own closing marker.
func nonce(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:6])
}

// promptData is what the prompt templates read.
type promptData struct {
	Source, Target string
	Nonce          string
	Text           string
	Glossary       []glossary.Term
	Paragraphs     int
	Bullets        int
	MaxNotes       int
	Title          string
	Previous       string
	Problem        string
}

// render renders a system and a user template into the opening messages.
func (s *Service) render(system, user string, d promptData) ([]Message, error) {
	sys, err := s.prompts.Render(system, d)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	usr, err := s.prompts.Render(user, d)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	return []Message{{Role: RoleSystem, Content: sys}, {Role: RoleUser, Content: usr}}, nil
}

// cached returns the answer for key: from the cache, or from fill, run once
// among concurrent callers and stored only when it succeeds. what names the
// answer in the error a stored value that cannot be read gives.
func cached[T any](ctx context.Context, s *Service, key cache.Key, refresh bool, what string, fill func(context.Context, func(StreamEvent)) (*T, error), stream func(StreamEvent)) (*T, cache.Source, error) {
	value, src, err := s.cache.Do(ctx, key, refresh, func(ctx context.Context, emit func(StreamEvent)) ([]byte, error) {
		v, err := fill(ctx, emit)
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}, stream)
	if err != nil {
		return nil, src, contextError(err)
	}
	v := new(T)
	if err := json.Unmarshal(value, v); err != nil {
		return nil, src, Wrap(CodeInternal, err, "A stored "+what+" could not be read.")
	}
	return v, src, nil
}

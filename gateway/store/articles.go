package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/arabic"
)

const articleColumns = `id, story_id, COALESCE(duplicate_of, 0), content_hash, COALESCE(canonical_url, ''), source, url, title,
	title_en, language, text, translation, headline, bullets, model, prompt_tokens, completion_tokens, timings,
	simhash, published_at, ingested_at`

type scanner interface{ Scan(dest ...any) error }

func scanArticle(row scanner) (*gateway.StoredArticle, error) {
	var a gateway.StoredArticle
	var bullets, timings string
	var simhash, published, ingested int64
	err := row.Scan(&a.ID, &a.StoryID, &a.DuplicateOf, &a.ContentHash, &a.CanonicalURL, &a.Source, &a.URL, &a.Title,
		&a.TitleEn, &a.Language, &a.Text, &a.Translation, &a.Headline, &bullets, &a.Model, &a.Usage.PromptTokens,
		&a.Usage.CompletionTokens, &timings, &simhash, &published, &ingested)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read article: %w", err)
	}
	if err := json.Unmarshal([]byte(bullets), &a.Bullets); err != nil {
		return nil, fmt.Errorf("store: article %d bullets: %w", a.ID, err)
	}
	_ = json.Unmarshal([]byte(timings), &a.Timings)
	a.SimHash = uint64(simhash)
	a.PublishedAt, a.IngestedAt = fromMillis(published), fromMillis(ingested)
	return &a, nil
}

// Article returns the article with the given id.
func (s *Store) Article(ctx context.Context, id int64) (*gateway.StoredArticle, error) {
	return scanArticle(s.r.QueryRowContext(ctx, `SELECT `+articleColumns+` FROM articles WHERE id = ?`, id))
}

// ArticleByKey returns the article with this content hash or canonical URL.
func (s *Store) ArticleByKey(ctx context.Context, contentHash, canonicalURL string) (*gateway.StoredArticle, error) {
	return articleByKey(ctx, s.r, contentHash, canonicalURL)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func articleByKey(ctx context.Context, q querier, contentHash, canonicalURL string) (*gateway.StoredArticle, error) {
	return scanArticle(q.QueryRowContext(ctx, `SELECT `+articleColumns+` FROM articles
		WHERE content_hash = ? OR (? <> '' AND canonical_url = ?) ORDER BY id LIMIT 1`, contentHash, canonicalURL, canonicalURL))
}

// IdempotencyKey returns the article an Idempotency-Key created, and the
// hash of the request that used it.
func (s *Store) IdempotencyKey(ctx context.Context, key string) (articleID int64, requestHash string, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT article_id, request_hash FROM idempotency_keys WHERE key = ?`, key).Scan(&articleID, &requestHash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", ErrNotFound
	}
	if err != nil {
		return 0, "", fmt.Errorf("store: idempotency key: %w", err)
	}
	return articleID, requestHash, nil
}

// InsertArticle stores a new article, and records its idempotency key when
// one is given. A StoryID of 0 starts a story of its own. If an article
// with the same content hash or canonical URL exists already (a concurrent
// ingestion won the race), it returns that one, and false.
func (s *Store) InsertArticle(ctx context.Context, a *gateway.StoredArticle, idemKey, requestHash string) (*gateway.StoredArticle, bool, error) {
	bullets, err := json.Marshal(a.Bullets)
	if err != nil {
		return nil, false, err
	}
	timings, err := json.Marshal(a.Timings)
	if err != nil {
		return nil, false, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()

	var canonical, duplicateOf any
	if a.CanonicalURL != "" {
		canonical = a.CanonicalURL
	}
	if a.DuplicateOf != 0 {
		duplicateOf = a.DuplicateOf
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO articles (story_id, duplicate_of, content_hash, canonical_url, source, url,
		title, title_en, language, text, search_text, translation, headline, bullets, model, prompt_tokens,
		completion_tokens, timings, simhash, published_at, ingested_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING id`,
		a.StoryID, duplicateOf, a.ContentHash, canonical, a.Source, a.URL, a.Title, a.TitleEn, a.Language, a.Text,
		searchText(a), a.Translation, a.Headline, string(bullets), a.Model, a.Usage.PromptTokens, a.Usage.CompletionTokens,
		string(timings), int64(a.SimHash), millis(a.PublishedAt), millis(a.IngestedAt)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		existing, err := articleByKey(ctx, tx, a.ContentHash, a.CanonicalURL)
		if err != nil {
			return nil, false, err
		}
		return existing, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: insert article: %w", err)
	}
	if a.StoryID == 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE articles SET story_id = id WHERE id = ?`, id); err != nil {
			return nil, false, fmt.Errorf("store: story: %w", err)
		}
	}
	if idemKey != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (key, request_hash, article_id, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, idemKey, requestHash, id, millis(s.now())); err != nil {
			return nil, false, fmt.Errorf("store: idempotency key: %w", err)
		}
	}
	stored, err := scanArticle(tx.QueryRowContext(ctx, `SELECT `+articleColumns+` FROM articles WHERE id = ?`, id))
	if err != nil {
		return nil, false, err
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("store: commit: %w", err)
	}
	return stored, true, nil
}

// searchText is what ?q= searches: the original folded, the English lower-cased.
func searchText(a *gateway.StoredArticle) string {
	english := strings.ToLower(strings.Join(append([]string{a.TitleEn, a.Headline, a.Translation}, a.Bullets...), "\n"))
	return arabic.FoldNormalized(arabic.Normalize(a.Title+"\n"+a.Text)) + "\n" + english
}

// RecentPrints returns the fingerprints of articles published since t.
func (s *Store) RecentPrints(ctx context.Context, since time.Time) ([]gateway.ArticlePrint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, story_id, simhash FROM articles WHERE published_at >= ?`, millis(since))
	if err != nil {
		return nil, fmt.Errorf("store: prints: %w", err)
	}
	defer rows.Close()
	var out []gateway.ArticlePrint
	for rows.Next() {
		var p gateway.ArticlePrint
		var sim int64
		if err := rows.Scan(&p.ID, &p.StoryID, &sim); err != nil {
			return nil, err
		}
		p.SimHash = uint64(sim)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Texts returns the normalized texts of the given articles.
func (s *Store) Texts(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	for _, id := range ids {
		var text string
		err := s.r.QueryRowContext(ctx, `SELECT text FROM articles WHERE id = ?`, id).Scan(&text)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: text: %w", err)
		}
		out[id] = text
	}
	return out, nil
}

// ListArticles returns a page of articles, newest first, and the cursor of
// the next page ("" on the last).
func (s *Store) ListArticles(ctx context.Context, q gateway.ArticleQuery) ([]gateway.StoredArticle, string, error) {
	where, args := []string{"1 = 1"}, []any{}
	if !q.From.IsZero() {
		where, args = append(where, "published_at >= ?"), append(args, millis(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "published_at < ?"), append(args, millis(q.To))
	}
	if q.Source != "" {
		where, args = append(where, "source = ?"), append(args, q.Source)
	}
	for _, word := range searchWords(q.Search) {
		where, args = append(where, `search_text LIKE ? ESCAPE '\'`), append(args, "%"+word+"%")
	}
	if q.Cursor != "" {
		published, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "(published_at < ? OR (published_at = ? AND id < ?))")
		args = append(args, published, published, id)
	}
	limit := q.Limit
	args = append(args, limit+1)
	rows, err := s.r.QueryContext(ctx, `SELECT `+articleColumns+` FROM articles WHERE `+strings.Join(where, " AND ")+
		` ORDER BY published_at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list: %w", err)
	}
	defer rows.Close()
	var out []gateway.StoredArticle
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(millis(last.PublishedAt), last.ID)
	}
	return out, next, nil
}

// ArticlesBetween returns every article published in [from, to), oldest
// first, from the given sources (all when none).
func (s *Store) ArticlesBetween(ctx context.Context, from, to time.Time, sources []string) ([]gateway.StoredArticle, error) {
	query := `SELECT ` + articleColumns + ` FROM articles WHERE published_at >= ? AND published_at < ?`
	args := []any{millis(from), millis(to)}
	if len(sources) > 0 {
		query += ` AND source IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(sources)), ", ") + `)`
		for _, src := range sources {
			args = append(args, src)
		}
	}
	rows, err := s.r.QueryContext(ctx, query+` ORDER BY published_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: articles of the day: %w", err)
	}
	defer rows.Close()
	var out []gateway.StoredArticle
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// searchWords splits a query into LIKE patterns, folded like search_text.
func searchWords(q string) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(arabic.FoldNormalized(arabic.Normalize(q)))) {
		w = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(w)
		out = append(out, w)
	}
	return out
}

// ErrBadCursor is returned for a cursor this store did not make.
var ErrBadCursor = errors.New("store: invalid cursor")

func encodeCursor(published, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(published, 10) + ":" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (published, id int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, 0, ErrBadCursor
	}
	p, i, ok := strings.Cut(string(b), ":")
	if !ok {
		return 0, 0, ErrBadCursor
	}
	if published, err = strconv.ParseInt(p, 10, 64); err != nil {
		return 0, 0, ErrBadCursor
	}
	if id, err = strconv.ParseInt(i, 10, 64); err != nil {
		return 0, 0, ErrBadCursor
	}
	return published, id, nil
}

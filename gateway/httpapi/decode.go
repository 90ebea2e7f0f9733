package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/dragoman-news/dragoman/gateway"
)

// readBody reads the whole body, up to the limit.
func (s *Server) readBody(c echo.Context) ([]byte, error) {
	r := c.Request()
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBodyBytes))
	if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
		return nil, gateway.Errorf(gateway.CodeBodyTooLarge, "The request body is larger than %d bytes (DRAGOMAN_MAX_BODY_BYTES).", s.cfg.MaxBodyBytes)
	}
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeMalformedJSON, err, "The request body could not be read.")
	}
	return body, nil
}

// body reads a request body of one of the accepted media types: its type,
// and its bytes, valid UTF-8 and under the size limit. A missing
// Content-Type is taken as JSON.
func (s *Server) body(c echo.Context, accepted ...string) (string, []byte, error) {
	mediaType := "application/json"
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return "", nil, gateway.Errorf(gateway.CodeUnsupportedMedia, "The Content-Type %q cannot be parsed.", ct)
		}
		mediaType = mt
		if strings.HasSuffix(mt, "+json") {
			mediaType = "application/json"
		}
	}
	if !slices.Contains(accepted, mediaType) {
		return "", nil, gateway.Errorf(gateway.CodeUnsupportedMedia, "Send %s, not %q.", strings.Join(accepted, " or "), mediaType)
	}
	body, err := s.readBody(c)
	if err != nil {
		return "", nil, err
	}
	if !utf8.Valid(body) {
		return "", nil, gateway.Errorf(gateway.CodeInvalidUTF8, "The request body is not valid UTF-8.")
	}
	return mediaType, body, nil
}

// decodeArticle reads an article request. A JSON body decodes strictly into
// dst; a text/plain or text/html body is the article itself, its options in
// the query string.
func (s *Server) decodeArticle(c echo.Context, dst any, article *gateway.Article) error {
	mediaType, body, err := s.body(c, "application/json", "text/plain", "text/html")
	if err != nil {
		return err
	}
	if mediaType == "application/json" {
		return decodeJSON(body, dst)
	}
	article.Text = string(body)
	if mediaType == "text/html" {
		article.Format = gateway.FormatHTML
	}
	return queryOptions(c, dst, article)
}

// decodeJSON reads a request whose body must be JSON.
func (s *Server) decodeJSON(c echo.Context, dst any) error {
	_, body, err := s.body(c, "application/json")
	if err != nil {
		return err
	}
	return decodeJSON(body, dst)
}

// decodeJSON decodes one JSON object into dst, refusing unknown fields,
// wrong types and trailing data, and naming the field at fault.
func decodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return gateway.Errorf(gateway.CodeMalformedJSON, "The request body is empty; send a JSON object.")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return jsonError(err)
	}
	known := jsonFields(reflect.TypeOf(dst).Elem())
	for name := range fields {
		if !known[name] {
			return gateway.FieldError(gateway.CodeUnknownField, name, "Unknown field %q; the fields are: %s.", name, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return gateway.Errorf(gateway.CodeMalformedJSON, "The request body has data after the JSON object.")
	}
	return nil
}

func jsonError(err error) error {
	if syntax, ok := errors.AsType[*json.SyntaxError](err); ok {
		return gateway.Wrap(gateway.CodeMalformedJSON, err, fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntax.Offset))
	}
	if typ, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if typ.Field == "" {
			return gateway.Wrap(gateway.CodeMalformedJSON, err, "The request body must be a JSON object.")
		}
		field := jsonPath(typ.Field)
		return &gateway.Error{Code: gateway.CodeInvalidField, Field: field, Err: err,
			Detail: fmt.Sprintf("The field %q must be %s, not a JSON %s.", field, jsonKind(typ.Type), typ.Value)}
	}
	return gateway.Wrap(gateway.CodeMalformedJSON, err, "The request body is not valid JSON.")
}

// jsonPath drops the Go names of embedded structs ("Article.text") from a
// decoding error's field path: JSON names are lower case.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	for len(parts) > 1 && parts[0] != "" && unicode.IsUpper([]rune(parts[0])[0]) {
		parts = parts[1:]
	}
	return strings.Join(parts, ".")
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice:
		return "an array"
	}
	return t.String()
}

// jsonFields lists the JSON names of a struct's fields, embedded ones
// included.
func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			for n := range jsonFields(f.Type) {
				out[n] = true
			}
		case f.IsExported():
			if name == "" {
				name = f.Name
			}
			out[name] = true
		}
	}
	return out
}

// queryOptions fills an article's options from the query string, for a
// request whose body is the article itself.
func queryOptions(c echo.Context, dst any, article *gateway.Article) error {
	q := c.QueryParams()
	article.Title = q.Get("title")
	article.SourceLang = q.Get("source_lang")
	article.TargetLang = q.Get("target_lang")
	if f := q.Get("format"); f != "" {
		article.Format = f
	}
	if g := q.Get("glossaries"); g != "" {
		article.Glossaries = strings.Split(g, ",")
	}
	if b := q.Get("bullets"); b != "" {
		sum, ok := dst.(*gateway.SummarizeRequest)
		if !ok {
			return gateway.FieldError(gateway.CodeUnknownField, "bullets", "bullets applies to /v1/summarize only.")
		}
		return queryCount(q, "bullets", &sum.Bullets)
	}
	return nil
}

// queryCount reads an optional count from the query string into dst. Zero
// stands for "the default" in the request types, so a count given
// explicitly must be at least 1: ?limit=0 is an error, not the default.
func queryCount(q url.Values, name string, dst *int) error {
	v := q.Get(name)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return gateway.FieldError(gateway.CodeInvalidField, name, "%s must be a whole number from 1.", name)
	}
	*dst = n
	return nil
}

package chat

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrSignature is returned for a request whose signature, token or
// timestamp does not check out.
var ErrSignature = errors.New("chat: bad or missing signature")

// Tolerance is how far a signed timestamp may be from now: Slack's five
// minutes, which bounds replays.
const Tolerance = 5 * time.Minute

func fresh(ts string, now time.Time) error {
	sec, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrSignature, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("%w: timestamp %s is %v from now", ErrSignature, ts, d.Round(time.Second))
	}
	return nil
}

func hmacSHA256(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// VerifySlack checks Slack's v0 signature: HMAC-SHA256 with the signing
// secret over "v0:timestamp:body".
func VerifySlack(secret string, h http.Header, body []byte, now time.Time) error {
	ts, sig := h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature")
	if ts == "" || sig == "" {
		return fmt.Errorf("%w: missing X-Slack-Request-Timestamp or X-Slack-Signature", ErrSignature)
	}
	if err := fresh(ts, now); err != nil {
		return err
	}
	want := "v0=" + hex.EncodeToString(hmacSHA256([]byte(secret), "v0:", ts, ":", string(body)))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return fmt.Errorf("%w: Slack signature does not match", ErrSignature)
	}
	return nil
}

// VerifyDiscord checks Discord's Ed25519 signature over timestamp + body.
func VerifyDiscord(publicKey ed25519.PublicKey, h http.Header, body []byte, now time.Time) error {
	ts, sigHex := h.Get("X-Signature-Timestamp"), h.Get("X-Signature-Ed25519")
	sig, err := hex.DecodeString(sigHex)
	if ts == "" || err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: missing or malformed X-Signature-Ed25519", ErrSignature)
	}
	if err := fresh(ts, now); err != nil {
		return err
	}
	if !ed25519.Verify(publicKey, append([]byte(ts), body...), sig) {
		return fmt.Errorf("%w: Discord signature does not match", ErrSignature)
	}
	return nil
}

// VerifyTeams checks a Teams outgoing webhook: "Authorization: HMAC
// base64(HMAC-SHA256(key, body))", the key given base64-encoded. Teams
// signs no timestamp, so replays cannot be bounded.
func VerifyTeams(key []byte, h http.Header, body []byte) error {
	auth := h.Get("Authorization")
	got, ok := strings.CutPrefix(auth, "HMAC ")
	if !ok {
		return fmt.Errorf("%w: missing HMAC Authorization", ErrSignature)
	}
	want := base64.StdEncoding.EncodeToString(hmacSHA256(key, string(body)))
	if !hmac.Equal([]byte(strings.TrimSpace(got)), []byte(want)) {
		return fmt.Errorf("%w: Teams signature does not match", ErrSignature)
	}
	return nil
}

// VerifyToken compares a shared token (Mattermost's, Telegram's secret
// token) in constant time.
func VerifyToken(want, got string) error {
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return fmt.Errorf("%w: token does not match", ErrSignature)
	}
	return nil
}

// StandardSecret decodes a Standard Webhooks secret ("whsec_" + base64).
func StandardSecret(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if err != nil || len(key) == 0 {
		return nil, errors.New("chat: the webhook secret must be whsec_ followed by base64")
	}
	return key, nil
}

// SignStandard signs a Standard Webhooks message: "v1," + base64 of
// HMAC-SHA256 over "id.timestamp.body".
func SignStandard(key []byte, id string, ts time.Time, body []byte) string {
	return standardSignature(key, id, strconv.FormatInt(ts.Unix(), 10), body)
}

func standardSignature(key []byte, id, ts string, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(hmacSHA256(key, id, ".", ts, ".", string(body)))
}

// VerifyStandard checks a Standard Webhooks request: webhook-id,
// webhook-timestamp, and a webhook-signature list, one of which must match.
func VerifyStandard(key []byte, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("%w: missing webhook-id, webhook-timestamp or webhook-signature", ErrSignature)
	}
	if err := fresh(ts, now); err != nil {
		return err
	}
	want := standardSignature(key, id, ts, body)
	for sig := range strings.FieldsSeq(sigs) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("%w: no webhook-signature matches", ErrSignature)
}

package upload

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LoadKey returns the key that signs upload URLs: secret when set, else
// the one kept in dataDir/upload.key, generated (0600) the first time.
func LoadKey(secret, dataDir string) ([]byte, error) {
	if secret != "" {
		return []byte(secret), nil
	}
	path := filepath.Join(dataDir, "upload.key")
	b, err := os.ReadFile(path)
	if err == nil {
		k, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr == nil && len(k) >= 32 {
			return k, nil
		}
		return nil, fmt.Errorf("upload: %s is not a key (64 hex digits); remove it to generate a new one", path)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("upload: read %s: %w", path, err)
	}
	k := make([]byte, 32)
	rand.Read(k)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadKey("", dataDir) // another process was first
	}
	if err != nil {
		return nil, fmt.Errorf("upload: create %s: %w", path, err)
	}
	_, err = f.WriteString(hex.EncodeToString(k) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("upload: write %s: %w", path, err)
	}
	return k, nil
}

// sign is the signature of a PUT URL: HMAC-SHA-256 over the slot id,
// the file name and the expiry (Unix seconds).
func sign(key []byte, id, filename string, expires int64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("parley-upload-put\x00" + id + "\x00" + filename + "\x00" + strconv.FormatInt(expires, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify checks a signature in constant time.
func verify(key []byte, id, filename string, expires int64, sig string) bool {
	want := sign(key, id, filename, expires)
	return hmac.Equal([]byte(want), []byte(sig))
}

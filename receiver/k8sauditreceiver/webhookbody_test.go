// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadBody(t *testing.T) {
	long := strings.Repeat("0123456789", 200_000) // 2 MB: above maxUpfrontBody
	for _, tc := range []struct {
		name          string
		body          string
		contentLength int64
	}{
		{"announced", `{"items":[]}`, 12},
		{"announced large", long, int64(len(long))},
		{"unknown length", `{"items":[]}`, -1},
		// net/http never gives a handler more than Content-Length; a
		// reader that does must still be read whole.
		{"longer than announced", long, 100},
		{"above the pooled size", strings.Repeat("x", maxPooledBody+1), maxPooledBody + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Twice, so that the second read may reuse the first's buffer.
			for range 2 {
				req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
				req.ContentLength = tc.contentLength
				buf, err := readBody(req)
				require.NoError(t, err)
				assert.Equal(t, tc.body, string(*buf))
				putBody(buf)
			}
		})
	}
}

func TestReadBodyError(t *testing.T) {
	broken := errors.New("connection reset")
	req := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(strings.NewReader(`{"items":[`), &failingReader{broken}))
	req.ContentLength = 100
	_, err := readBody(req)
	assert.ErrorIs(t, err, broken)
}

type failingReader struct{ err error }

func (f *failingReader) Read([]byte) (int, error) { return 0, f.err }

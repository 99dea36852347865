// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver // import "github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver"

import (
	"errors"
	"io"
	"net/http"
	"sync"
)

// maxPooledBody bounds the bodies whose buffers are kept for the next
// request: kube-apiserver's batches of 400 events are 0.2–2 MiB, and a rare
// huge one should not pin its memory in the pool.
const maxPooledBody = 4 << 20

// maxUpfrontBody bounds what a request is given before its body arrives.
const maxUpfrontBody = 1 << 20

// bodyPool holds request-body buffers. A buffer can go back as soon as the
// converter is done with it: every record owns copies of what it read.
var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

// readBody reads req's whole body. A body whose Content-Length is known and
// small (kube-apiserver's batches) goes into a pooled buffer of that size, so
// that a batch is read without regrowing (what io.ReadAll's growth cost: 8 %
// of the webhook's CPU). Any other body is left to io.ReadAll, whose growth
// keeps a body refused at max_request_body_size cheap. The caller hands the
// buffer back with putBody.
func readBody(req *http.Request) (*[]byte, error) {
	n := req.ContentLength
	if n <= 0 || n >= maxPooledBody {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		return &b, nil
	}
	buf := bodyPool.Get().(*[]byte)
	if int(n) >= cap(*buf) {
		// One byte more than the body, so that EOF is seen without growing;
		// but a client that announces a large body and sends nothing gets
		// no more than maxUpfrontBody before its bytes arrive.
		*buf = make([]byte, 0, min(n+1, maxUpfrontBody))
	}
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			// Announced above maxUpfrontBody (net/http stops a body at
			// its Content-Length, and confighttp's decompression sets
			// it to -1): grow as append does, up to maxPooledBody.
			b = append(b, 0)[:len(b)]
		}
		m, err := req.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err != nil {
			*buf = b
			if errors.Is(err, io.EOF) {
				return buf, nil
			}
			putBody(buf)
			return nil, err
		}
	}
}

func putBody(buf *[]byte) {
	if cap(*buf) > maxPooledBody {
		return
	}
	bodyPool.Put(buf)
}

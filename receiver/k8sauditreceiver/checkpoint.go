// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver // import "github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver"

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// undeliveredGuard wraps the checkpoint storage. fileconsumer records a
// batch's end position whether or not the emit callback delivered it, and
// saves positions again when it stops. Once a batch could not be delivered
// (the source stopped while the pipeline was refusing it), the guard freezes
// the stored positions at the last poll whose lines were all delivered, so
// that the next start reads the undelivered lines again: duplicates rather
// than loss.
type undeliveredGuard struct {
	storage.Client
	frozen atomic.Bool
}

func (g *undeliveredGuard) freeze() { g.frozen.Store(true) }

func (g *undeliveredGuard) Set(ctx context.Context, key string, value []byte) error {
	if g.frozen.Load() {
		return nil
	}
	return g.Client.Set(ctx, key, value)
}

func (g *undeliveredGuard) Delete(ctx context.Context, key string) error {
	if g.frozen.Load() {
		return nil
	}
	return g.Client.Delete(ctx, key)
}

func (g *undeliveredGuard) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if g.frozen.Load() {
		// Reads still have to be answered; writes are dropped.
		for _, op := range ops {
			if op.Type == storage.Get {
				if err := g.Client.Batch(ctx, op); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return g.Client.Batch(ctx, ops...)
}

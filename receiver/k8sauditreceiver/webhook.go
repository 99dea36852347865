// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver // import "github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// retryAfterSeconds is sent with 429 and 503. client-go, which
// kube-apiserver's webhook backend uses, honours it with a quick retry of its
// own before the backend's slower backoff (10 s and up) takes over.
const retryAfterSeconds = "1"

// webhookSource serves kube-apiserver's audit webhook backend.
type webhookSource struct {
	r      *auditReceiver
	cfg    *WebhookConfig
	obs    *receiverhelper.ObsReport
	server *http.Server
	// addr is where the server listens once started (the port of ":0").
	addr net.Addr
	wg   sync.WaitGroup
}

func newWebhookSource(r *auditReceiver, cfg *WebhookConfig) (*webhookSource, error) {
	obs, err := newObsReport(r.set, "http")
	if err != nil {
		return nil, err
	}
	return &webhookSource{r: r, cfg: cfg, obs: obs}, nil
}

func (w *webhookSource) start(ctx context.Context, host component.Host) error {
	mux := http.NewServeMux()
	mux.HandleFunc(w.cfg.Path, w.handleAudit)
	if w.cfg.HealthPath != "" {
		mux.HandleFunc(w.cfg.HealthPath, handleHealth)
	}
	var err error
	w.server, err = w.cfg.ToServer(ctx, host.GetExtensions(), w.r.set.TelemetrySettings, mux)
	if err != nil {
		return err
	}
	ln, err := w.cfg.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("webhook: failed to listen on %s: %w", w.cfg.NetAddr.Endpoint, err)
	}
	w.addr = ln.Addr()
	w.r.set.Logger.Info("Audit webhook listening", zap.String("endpoint", ln.Addr().String()), zap.String("path", w.cfg.Path))
	w.wg.Go(func() {
		if err := w.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	})
	return nil
}

// shutdown lets requests in flight finish (they wait on the pipeline and
// their answer tells kube-apiserver whether to re-send) until ctx ends.
func (w *webhookSource) shutdown(ctx context.Context) error {
	if w.server == nil {
		return nil
	}
	err := w.server.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, w.server.Close())
	}
	w.wg.Wait()
	return err
}

func handleHealth(resp http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		resp.Header().Set("Allow", "GET, HEAD")
		http.Error(resp, "method not allowed: use GET", http.StatusMethodNotAllowed)
		return
	}
	resp.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(resp, "ok\n")
}

func (w *webhookSource) handleAudit(resp http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		resp.Header().Set("Allow", http.MethodPost)
		w.reject(resp, req, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed: POST audit events", req.Method))
		return
	}
	if mediaType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err != nil || mediaType != "application/json" {
		w.reject(resp, req, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q not supported: send application/json", req.Header.Get("Content-Type")))
		return
	}
	body, err := readBody(req)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			w.reject(resp, req, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than max_request_body_size (%d bytes)", tooLarge.Limit))
			return
		}
		w.reject(resp, req, http.StatusBadRequest, "failed to read body: "+err.Error())
		return
	}

	ctx := w.obs.StartLogsOp(req.Context())
	logs, lrs := w.r.newLogs(0)
	counts, err := w.r.converter.AppendPayload(lrs, *body, auditevent.Now())
	putBody(body)
	if err != nil {
		w.obs.EndLogsOp(ctx, dataFormat, 0, err)
		w.reject(resp, req, http.StatusBadRequest, err.Error())
		return
	}
	w.r.recordBadInput(ctx, "webhook", counts, lrs)
	if lrs.Len() == 0 {
		w.obs.EndLogsOp(ctx, dataFormat, 0, nil)
		resp.WriteHeader(http.StatusOK)
		return
	}

	err = w.r.next.ConsumeLogs(ctx, logs)
	w.obs.EndLogsOp(ctx, dataFormat, counts.Records(), err)
	if err != nil {
		code := statusForConsumerError(err)
		if code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests {
			resp.Header().Set("Retry-After", retryAfterSeconds)
		}
		w.reject(resp, req, code, "pipeline refused the events: "+err.Error())
		return
	}
	resp.WriteHeader(http.StatusOK)
}

func (w *webhookSource) reject(resp http.ResponseWriter, req *http.Request, code int, msg string) {
	w.r.telemetry.ReceiverK8sAuditWebhookRejectedRequests.Add(req.Context(), 1)
	w.r.sampledLogger.Debug("Rejected audit webhook request",
		zap.Int("status", code), zap.String("remote", req.RemoteAddr), zap.String("reason", msg))
	http.Error(resp, msg, code)
}

// statusForConsumerError maps a pipeline error as the OTLP receiver does:
// resource exhaustion 429, other retryable errors 503, permanent ones 500.
func statusForConsumerError(err error) int {
	if s, ok := status.FromError(err); ok && s.Code() == codes.ResourceExhausted {
		return http.StatusTooManyRequests
	}
	if consumererror.IsPermanent(err) {
		return http.StatusInternalServerError
	}
	return http.StatusServiceUnavailable
}

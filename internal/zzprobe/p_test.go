package zzprobe
import (
	"testing"
	_ "k8s.io/apiserver/plugin/pkg/audit/webhook"
	_ "k8s.io/apiserver/plugin/pkg/audit/log"
	_ "k8s.io/apiserver/pkg/audit/policy"
	_ "github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	_ "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	_ "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	_ "go.opentelemetry.io/collector/receiver/receivertest"
	_ "gopkg.in/natefinch/lumberjack.v2"
)
func TestX(t *testing.T){}

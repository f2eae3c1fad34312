package openchime_test

import (
	"context"
	"strings"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/logstore"
	"github.com/openchime/openchime/sqlite"
)

// BenchmarkService_PhoneConfig measures phone operations that consult the
// telephony configuration (the D27 table): UpdatePhoneNumber flips the
// product type of one number back and forth (checkProduct).
func BenchmarkService_PhoneConfig(b *testing.B) {
	ctx := context.Background()
	stores := map[string]func() openchime.Store{
		"sqlite": func() openchime.Store {
			s, err := sqlite.Open(ctx, b.TempDir()+"/db")
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"logstore": func() openchime.Store {
			s, err := logstore.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, bench := range []struct {
		name   string
		stored bool // false: the store holds no configuration
	}{{"sqlite", false}, {"sqlite-stored", true}, {"logstore", false}, {"logstore-stored", true}} {
		name, stored := strings.TrimSuffix(bench.name, "-stored"), bench.stored
		b.Run(bench.name, func(b *testing.B) {
			store := stores[name]()
			defer store.Close()
			svc := openchime.NewService(store)
			if _, err := svc.AdminSeedPhoneNumber(ctx, openchime.SeedPhoneNumber{E164PhoneNumber: "+13125550100"}); err != nil {
				b.Fatal(err)
			}
			if stored {
				// A stored configuration is decoded from JSON on every read.
				if err := svc.SetPhoneConfig(ctx, openchime.PhoneConfig{SupportedCountries: openchime.DefaultSupportedCountries()}); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("UpdatePhoneNumber", func(b *testing.B) {
				products := []string{openchime.VoiceConnector, openchime.BusinessCalling}
				i := 0
				for b.Loop() {
					i++
					if _, err := svc.UpdatePhoneNumber(ctx, openchime.PhoneNumberUpdate{ID: "+13125550100", ProductType: products[i%2]}); err != nil {
						b.Fatal(err)
					}
				}
			})
			// A read-only operation shows the cost of reading the
			// configuration without a commit's fsync to hide it.
			b.Run("ListSupportedPhoneNumberCountries", func(b *testing.B) {
				for b.Loop() {
					if _, err := svc.ListSupportedPhoneNumberCountries(ctx, openchime.VoiceConnector); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

package cli_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/demo"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/testdb"
)

// browserDemoStore generates a demo store of deals deals for the dialect
// with an admin (admin@example.com, password stackPassword), then hands a
// service over it to more, which adds what the test needs (users,
// settings) before the store is closed for the server. It returns the DSN
// and the admin's e-mail.
func browserDemoStore(t *testing.T, dialect string, deals int, more func(ctx context.Context, svc *service.Service, actor service.Actor)) (dsn, admin string) {
	t.Helper()
	ctx := t.Context()
	dsn = testdb.DSN(t, dialect)
	cat := tandem.NewCatalog()
	db, err := sqldb.Open(ctx, dsn, cat)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, cat, l, demo.DefaultConfig().Scaled(deals), nil); err != nil {
		t.Fatalf("demo: %v", err)
	}
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, cat, nil, t.TempDir(), nil)
	actor := service.Actor{Name: "test"}
	admin = "admin@example.com"
	if _, err := svc.CreateUser(ctx, actor, service.NewUser{Email: admin, Name: "Ana Admin", Role: tandem.RoleAdmin, Password: stackPassword}, true); err != nil {
		t.Fatal(err)
	}
	more(ctx, svc, actor)
	return dsn, admin
}

// browserOpenDeal returns the id of an open deal of svc's store.
func browserOpenDeal(t *testing.T, svc *service.Service) string {
	t.Helper()
	deals, err := svc.List(t.Context(), "deals", url.Values{"outcome": {"open"}, "limit": {"1"}})
	if err != nil || len(deals.Page.Records) == 0 {
		t.Fatalf("no open deal: %v", err)
	}
	return deals.Page.Records[0].ID()
}

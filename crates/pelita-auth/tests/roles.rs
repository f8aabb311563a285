//! The role→scope table, name round trips, and `TokenGrant::permits`.

use pelita_auth::{Denied, Role, Scope, TokenGrant};
use pelita_model::Tlp;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The table in the crate documentation, row by row:
/// read, submit, report, admin, audit, break-glass.
const TABLE: [(Role, [bool; 6]); 4] = [
    (Role::Administrator, [true, true, true, true, true, true]),
    (Role::Analyst, [true, true, true, false, false, false]),
    (
        Role::SubmittingPartner,
        [true, true, false, false, false, false],
    ),
    (Role::ReadOnly, [true, false, true, false, false, false]),
];

#[test]
fn role_table_matches_the_documentation_for_every_pair() {
    assert_eq!(
        Scope::ALL,
        [
            Scope::Read,
            Scope::Submit,
            Scope::Report,
            Scope::Admin,
            Scope::Audit,
            Scope::BreakGlass
        ]
    );
    assert_eq!(TABLE.map(|(r, _)| r), Role::ALL);
    for (role, row) in TABLE {
        for (scope, want) in Scope::ALL.into_iter().zip(row) {
            assert_eq!(role.allows(scope), want, "{role} / {scope}");
        }
        let want: Vec<Scope> = Scope::ALL
            .into_iter()
            .zip(row)
            .filter(|p| p.1)
            .map(|p| p.0)
            .collect();
        assert_eq!(role.scopes(), want, "{role}");
        // Breaking the glass is never granted by default.
        let defaults = role.default_scopes();
        assert!(!defaults.contains(&Scope::BreakGlass), "{role}");
        assert_eq!(defaults.len() + usize::from(row[5]), want.len(), "{role}");
    }
    // The documentation's table, as written, says the same.
    let docs = include_str!("../src/lib.rs");
    for (role, row) in TABLE {
        let cells: Vec<&str> = row.iter().map(|&b| if b { "yes" } else { "—" }).collect();
        let line = format!("//! | `{role}` | {} |", cells.join(" | "));
        assert!(docs.contains(&line), "missing from lib.rs: {line}");
    }
}

#[test]
fn names_round_trip_and_unknown_names_are_explained() {
    let roles = [
        "administrator",
        "analyst",
        "submitting-partner",
        "read-only",
    ];
    for (role, name) in Role::ALL.into_iter().zip(roles) {
        assert_eq!(role.to_string(), name);
        assert_eq!(name.parse::<Role>(), Ok(role));
        assert_eq!(name.to_uppercase().parse::<Role>(), Ok(role));
        assert_eq!(format!(" {name}\n").parse::<Role>(), Ok(role));
        let json = serde_json::to_string(&role).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
    }
    let scopes = ["read", "submit", "report", "admin", "audit", "break-glass"];
    for (scope, name) in Scope::ALL.into_iter().zip(scopes) {
        assert_eq!(scope.to_string(), name);
        assert_eq!(name.parse::<Scope>(), Ok(scope));
        assert_eq!(name.to_uppercase().parse::<Scope>(), Ok(scope));
        let json = serde_json::to_string(&scope).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), scope);
    }

    for bad in ["", "admin", "submitting_partner", "readonly", "root"] {
        let err = bad.parse::<Role>().unwrap_err().to_string();
        assert!(err.contains(&format!("`{bad}`")), "{err}");
        assert!(
            err.contains("administrator, analyst, submitting-partner, read-only"),
            "{err}"
        );
    }
    for bad in ["", "write", "administrator", "reads"] {
        let err = bad.parse::<Scope>().unwrap_err().to_string();
        assert!(err.contains(&format!("`{bad}`")), "{err}");
        assert!(err.contains("read, submit, report, admin, audit"), "{err}");
    }
    let err = serde_json::from_str::<Scope>("\"write\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown scope `write`"), "{err}");
}

const NOW: OffsetDateTime = datetime!(2025-06-01 12:00 UTC);

fn grant(role: Role, scopes: &[Scope]) -> TokenGrant {
    TokenGrant {
        org: "cert-example".into(),
        role,
        scopes: scopes.to_vec(),
        max_tlp: Some(Tlp::Green),
        expires_at: Some(NOW + Duration::days(30)),
        revoked: false,
    }
}

#[test]
fn permits_allows_listed_scopes_the_role_allows() {
    let g = grant(Role::Analyst, &[Scope::Read, Scope::Submit]);
    assert_eq!(g.permits(Scope::Read, NOW), Ok(()));
    assert_eq!(g.permits(Scope::Submit, NOW), Ok(()));
    let forever = TokenGrant {
        expires_at: None,
        ..g
    };
    assert_eq!(
        forever.permits(Scope::Read, NOW + Duration::days(10_000)),
        Ok(())
    );
}

#[test]
fn permits_denies_with_the_reason_to_act_on() {
    let g = grant(Role::Analyst, &[Scope::Read, Scope::Admin]);

    // Revoked wins over everything.
    let revoked = TokenGrant {
        revoked: true,
        expires_at: Some(NOW),
        ..g.clone()
    };
    assert_eq!(revoked.permits(Scope::Read, NOW), Err(Denied::Revoked));

    // Expired: the instant itself is already expired; a nanosecond before is not.
    let at = NOW + Duration::days(30);
    assert_eq!(
        g.permits(Scope::Read, at - Duration::nanoseconds(1)),
        Ok(())
    );
    assert_eq!(g.permits(Scope::Read, at), Err(Denied::Expired));
    assert_eq!(
        g.permits(Scope::Read, at + Duration::seconds(1)),
        Err(Denied::Expired)
    );

    // Not listed on the token.
    assert_eq!(
        g.permits(Scope::Report, NOW),
        Err(Denied::ScopeNotGranted(Scope::Report))
    );

    // Listed, but the role forbids it; and not listed *and* forbidden is still the role.
    assert_eq!(
        g.permits(Scope::Admin, NOW),
        Err(Denied::RoleForbids(Role::Analyst, Scope::Admin))
    );
    assert_eq!(
        g.permits(Scope::Audit, NOW),
        Err(Denied::RoleForbids(Role::Analyst, Scope::Audit))
    );

    // Only administrators audit, and only with the scope on the token.
    let admin = grant(Role::Administrator, &[Scope::Audit]);
    assert_eq!(admin.permits(Scope::Audit, NOW), Ok(()));
    assert_eq!(
        admin.permits(Scope::Admin, NOW),
        Err(Denied::ScopeNotGranted(Scope::Admin))
    );
}

#[test]
fn denials_say_what_to_do() {
    let messages = [
        Denied::Revoked.to_string(),
        Denied::Expired.to_string(),
        Denied::ScopeNotGranted(Scope::Submit).to_string(),
        Denied::RoleForbids(Role::ReadOnly, Scope::Submit).to_string(),
    ];
    for m in &messages {
        assert!(m.contains("administrator"), "{m}");
    }
    assert!(messages[2].contains("`submit` scope"), "{}", messages[2]);
    assert!(messages[3].contains("`read-only` role"), "{}", messages[3]);
}

#[test]
fn grants_serialise() {
    let g = grant(Role::SubmittingPartner, &[Scope::Submit, Scope::Read]);
    let json = serde_json::to_string(&g).unwrap();
    assert!(json.contains("\"role\":\"submitting-partner\""), "{json}");
    assert!(
        json.contains("\"expires_at\":\"2025-07-01T12:00:00Z\""),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<TokenGrant>(&json).unwrap(), g);
}

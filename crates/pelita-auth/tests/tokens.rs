//! Token generation, parsing and verification.

use std::time::Instant;

use pelita_auth::{
    AuthError, SECRET_LEN, TOKEN_ID_LEN, TOKEN_LEN, TOKEN_PREFIX, TokenId, generate_token,
    parse_token, verify_secret,
};
use proptest::prelude::*;

const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A token of the right shape (its hash is not known to anyone).
const SHAPED: &str = "pelita_3f9c0a1b2d4e5f60_q8Vd2Yk0c1uYQ6n0ZB3l5m2oVqf0m7wqOqg0l8sJ0kA";

fn is_malformed<T: std::fmt::Debug>(r: Result<T, AuthError>) -> bool {
    matches!(r, Err(AuthError::MalformedToken(_)))
}

#[test]
fn generated_tokens_parse_verify_and_differ() {
    let a = generate_token().unwrap();
    let b = generate_token().unwrap();

    for t in [&a, &b] {
        assert_eq!(t.secret.len(), TOKEN_LEN);
        assert!(t.secret.starts_with(TOKEN_PREFIX));
        let (id, secret) = parse_token(&t.secret).unwrap();
        assert_eq!(id, t.id);
        assert_eq!(id.as_str().len(), TOKEN_ID_LEN);
        assert_eq!(secret.len(), SECRET_LEN);
        assert_eq!(format!("{TOKEN_PREFIX}{id}_{secret}"), t.secret);
        assert!(
            t.hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            t.hash
        );
        assert!(
            !t.hash.contains(secret),
            "the hash must not contain the secret"
        );
        assert!(
            !format!("{t:?}").contains(secret),
            "Debug must not show the secret"
        );
    }

    let (_, sa) = parse_token(&a.secret).unwrap();
    let (_, sb) = parse_token(&b.secret).unwrap();
    let started = Instant::now();
    assert!(verify_secret(sa, &a.hash));
    eprintln!(
        "one argon2id verify (this profile): {:?}",
        started.elapsed()
    );
    assert!(verify_secret(sb, &b.hash));

    // Different ids, secrets and salts; each hash verifies only its own secret.
    assert_ne!(a.id, b.id);
    assert_ne!(sa, sb);
    assert_ne!(a.hash, b.hash);
    assert!(!verify_secret(sa, &b.hash));
    assert!(!verify_secret(sb, &a.hash));

    // Another generation of the *same* secret would also differ: the salt is fresh.
    let salt = |h: &str| h.rsplit('$').nth(1).map(str::to_owned);
    assert_ne!(salt(&a.hash), salt(&b.hash));
}

#[test]
fn a_changed_character_fails() {
    // With the real parameters each verify costs ~2 s in a debug build, so a
    // spread of positions here; the unit test `every_changed_position_fails`
    // covers every position with cheap parameters.
    let t = generate_token().unwrap();
    let (_, secret) = parse_token(&t.secret).unwrap();
    let chars: Vec<char> = secret.chars().collect();
    for i in [0, 21, SECRET_LEN - 1] {
        let mut changed = chars.clone();
        let pos = ALPHABET.find(chars[i]).unwrap();
        // Stay in the alphabet (and canonical in the last position, whose
        // low two bits are zero), so argon2 really runs.
        let step = if i == chars.len() - 1 { 4 } else { 1 };
        changed[i] = ALPHABET.as_bytes()[(pos + step) % 64] as char;
        let changed: String = changed.into_iter().collect();
        assert!(!verify_secret(&changed, &t.hash), "position {i}");
    }
    // Outside the alphabet, non-canonical, truncated, extended: refused before hashing.
    assert!(!verify_secret(&format!("{}=", &secret[..42]), &t.hash));
    assert!(!verify_secret(&format!("{}B", &secret[..42]), &t.hash));
    assert!(!verify_secret(&secret[..42], &t.hash));
    assert!(!verify_secret(&format!("{secret}A"), &t.hash));
    assert!(!verify_secret("", &t.hash));
    // A change in the id or prefix is a different (or no) token.
    for i in 0..TOKEN_PREFIX.len() + TOKEN_ID_LEN {
        let mut bytes = t.secret.clone().into_bytes();
        bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
        let changed = String::from_utf8(bytes).unwrap();
        match parse_token(&changed) {
            Ok((id, _)) => assert_ne!(id, t.id),
            Err(e) => assert!(matches!(e, AuthError::MalformedToken(_))),
        }
    }
}

#[test]
fn malformed_hashes_never_verify() {
    let (_, secret) = parse_token(SHAPED).unwrap();
    for hash in [
        "",
        "$",
        "not a hash",
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1$",
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$",
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$!!!!",
        "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$pbkdf2-sha256$i=1000$c2FsdA$AAAA",
        "$argon2id$v=19$m=0,t=0,p=0$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert!(!verify_secret(secret, hash), "{hash:?}");
    }
}

#[test]
fn the_documented_example_has_the_right_shape() {
    let (id, secret) = parse_token(SHAPED).unwrap();
    assert_eq!(id.as_str(), "3f9c0a1b2d4e5f60");
    assert_eq!(secret, "q8Vd2Yk0c1uYQ6n0ZB3l5m2oVqf0m7wqOqg0l8sJ0kA");
    // A secret may contain `_` itself: the split is by position.
    let underscored = format!("{}_{}", &SHAPED[..30], &SHAPED[31..]);
    let (_, s) = parse_token(&underscored).unwrap();
    assert!(s.starts_with("q8Vd2Y_"));
}

#[test]
fn malformed_tokens_are_rejected() {
    let long = "a".repeat(1 << 20);
    let long_shaped = format!("{SHAPED}{}", "A".repeat(10_000));
    let cases: Vec<String> = vec![
        String::new(),
        " ".into(),
        "pelita_".into(),
        "pelita__".into(),
        long,
        long_shaped,
        // Wrong prefix.
        SHAPED.replacen("pelita_", "pelitu_", 1),
        SHAPED.replacen("pelita_", "PELITA_", 1),
        SHAPED.replacen("pelita_", "xpelita", 1),
        SHAPED.replacen("pelita_", "pelita-", 1),
        // Wrong lengths.
        SHAPED[..TOKEN_LEN - 1].into(),
        format!("{SHAPED}A"),
        format!("pelita_3f9c0a1b2d4e5f6_{}", &SHAPED[24..]),
        format!("pelita_3f9c0a1b2d4e5f600_{}", &SHAPED[25..]),
        // Whitespace around.
        format!(" {}", &SHAPED[1..]),
        format!("{} ", &SHAPED[..TOKEN_LEN - 1]),
        format!("{}\n", &SHAPED[..TOKEN_LEN - 1]),
        // Id not lowercase hex.
        SHAPED.replacen("3f9c", "3F9C", 1),
        SHAPED.replacen("3f9c", "3g9c", 1),
        SHAPED.replacen("3f9c", "3f_c", 1),
        // Extra or missing separators.
        SHAPED.replacen("5f60_q", "5f60-q", 1),
        SHAPED.replacen("5f60_q", "5f6__q", 1),
        SHAPED.replacen("_3f9c", "__f9c", 1),
        format!("pelita_3f9c0a1b2d4e5f60__{}", &SHAPED[24..]),
        format!("{SHAPED}_"),
        format!("pelita_pelita_3f9c0a1b2d4e5f60_{}", &SHAPED[24..]),
        format!("pelita_3f9c0a1b2d4e5f60_{}_", &SHAPED[24..TOKEN_LEN - 1]),
        // Secret not base64url, padded, or not canonical.
        SHAPED.replacen("q8Vd", "q8V+", 1),
        SHAPED.replacen("q8Vd", "q8V/", 1),
        SHAPED.replacen("q8Vd", "q8V.", 1),
        SHAPED.replacen("q8Vd", "q8V ", 1),
        format!("{}=", &SHAPED[..TOKEN_LEN - 1]),
        format!("{}B", &SHAPED[..TOKEN_LEN - 1]),
        format!("{}\0", &SHAPED[..TOKEN_LEN - 1]),
        // Unicode, including lookalikes that keep the byte length.
        SHAPED.replacen("q8Vd", "q8é", 1),
        SHAPED
            .replacen("pelita", "pelitä", 1)
            .replacen("q8Vd", "q8V", 1),
        format!("{}é", &SHAPED[..TOKEN_LEN - 2]),
        "é".repeat(TOKEN_LEN / 2 + 1)[..TOKEN_LEN + 1].to_owned(),
        "🦀".repeat(17)[..TOKEN_LEN - 3].to_owned(),
        format!("pelita_{}", "🦀".repeat(15)),
    ];
    for (i, case) in cases.iter().enumerate() {
        let shown: String = case.chars().take(80).collect();
        assert!(is_malformed(parse_token(case)), "case {i}: {shown:?}");
    }
}

#[test]
fn token_ids_are_strict() {
    assert!("3f9c0a1b2d4e5f60".parse::<TokenId>().is_ok());
    for bad in [
        "",
        "3f9c0a1b2d4e5f6",
        "3f9c0a1b2d4e5f600",
        "3F9C0A1B2D4E5F60",
        " 3f9c0a1b2d4e5f6",
    ] {
        assert!(is_malformed(bad.parse::<TokenId>()), "{bad:?}");
    }
    let json = serde_json::to_string(&"3f9c0a1b2d4e5f60".parse::<TokenId>().unwrap()).unwrap();
    assert_eq!(json, "\"3f9c0a1b2d4e5f60\"");
    assert!(serde_json::from_str::<TokenId>("\"3f9c0a1b2d4e5f6x\"").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Arbitrary strings (mostly garbage) are refused, never panic.
    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        prop_assert!(is_malformed(parse_token(&s)));
        prop_assert!(!verify_secret(&s, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$AAAA"));
    }

    /// Near misses of a well-shaped token: whatever parses is exactly the shape.
    #[test]
    fn near_misses_parse_only_when_well_formed(
        at in 0usize..TOKEN_LEN,
        replacement in any::<char>(),
        insert in any::<bool>(),
    ) {
        let mut chars: Vec<char> = SHAPED.chars().collect();
        if insert { chars.insert(at, replacement) } else { chars[at] = replacement }
        let s: String = chars.into_iter().collect();
        match parse_token(&s) {
            Ok((id, secret)) => {
                prop_assert!(!insert);
                prop_assert_eq!(format!("{TOKEN_PREFIX}{id}_{secret}"), s);
            }
            Err(e) => prop_assert!(matches!(e, AuthError::MalformedToken(_))),
        }
    }
}

//! Password hashing with argon2id (the crate's default parameters) and constant-time
//! verification.
//!
//! Each thread hashes in one 19 MiB work area of its own, allocated once and reused. Allocating it
//! per hash let glibc's adaptive mmap threshold keep every freed area in its heaps: 50 users
//! created and 50 concurrent logins left the server at 466 MiB resident; reused, that burst costs
//! one area per password thread.

use argon2::password_hash::phc::{Output, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;

thread_local! {
    static WORK_AREA: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs argon2 with `params` into `out`, in this thread's work area.
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), String> {
    WORK_AREA.with(|area| {
        let mut area = area.borrow_mut();
        let blocks = params.block_count();
        if area.len() < blocks {
            area.resize(blocks, Block::default());
        }
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut area[..blocks])
            .map_err(|e| e.to_string())
    })
}

/// Hashes a password for storage, with a fresh random salt, as a PHC string.
pub fn hash(password: &str) -> Result<String, String> {
    let params = Params::default();
    let mut salt = [0u8; Salt::RECOMMENDED_LENGTH];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon2_into(&argon2, &params, password.as_bytes(), &salt, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params)
            .try_into()
            .map_err(|e: argon2::password_hash::Error| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the stored PHC string (with whatever argon2 parameters it names).
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(phc) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm.as_str()) else {
        return false;
    };
    let version = match phc.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&phc) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    argon2_into(&argon2, &params, password.as_bytes(), salt.as_ref(), &mut out).is_ok()
        // Output's equality is constant-time.
        && Output::new(&out).is_ok_and(|o| o == *expected)
}

/// A hash to verify against when the user does not exist, so both cases take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no user has this password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordHasher;

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let a = super::hash("secret").expect("hash");
        let b = super::hash("secret").expect("hash");
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert!(super::verify("secret", &a));
        assert!(!super::verify("Secret", &a));
        assert!(!super::verify("secret", "not a hash"));
    }

    #[test]
    fn hashes_made_elsewhere_with_other_parameters_verify() {
        // What the argon2 crate's own hasher writes, with its defaults and with smaller memory.
        let theirs = argon2::Argon2::default()
            .hash_password(b"secret")
            .expect("hash")
            .to_string();
        assert!(super::verify("secret", &theirs));
        assert!(!super::verify("secret!", &theirs));
        let small = argon2::Argon2::new(
            argon2::Algorithm::Argon2i,
            argon2::Version::V0x10,
            argon2::Params::new(8192, 3, 1, Some(24)).expect("params"),
        )
        .hash_password(b"secret")
        .expect("hash")
        .to_string();
        assert!(
            small.starts_with("$argon2i$v=16$m=8192,t=3,p=1$"),
            "{small}"
        );
        assert!(super::verify("secret", &small));
        assert!(!super::verify("other", &small));
    }
}

//! Verification of signed JWT bearer tokens for people: HS256 with a shared secret for
//! development, RS256 or ES256 with a PEM public key or a JWKS file for production, so
//! an identity provider can issue them. The token's claims carry the role and forces.

use std::path::PathBuf;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::{Deserialize, Serialize};

use crate::{AccessError, AuthMethod, Principal, Role};

/// Which keys verify JWTs. With none of them set, JWTs are refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JwtSettings {
    /// HS256 shared secret (development only; at least 32 bytes).
    pub hs256_secret: Option<String>,
    /// A PEM public key (RSA for RS256, EC P-256 for ES256).
    pub public_key: Option<PathBuf>,
    /// A JWKS file (RSA or EC keys, chosen by `kid`).
    pub jwks: Option<PathBuf>,
    /// Required `iss`, when set.
    pub issuer: Option<String>,
    /// Required `aud`, when set.
    pub audience: Option<String>,
}

/// The claims toex reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtClaims {
    pub sub: String,
    pub role: Role,
    pub forces: Vec<String>,
    #[serde(default)]
    pub operations: Vec<String>,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

enum PublicKey {
    Pem { key: DecodingKey, alg: Algorithm },
    Jwks(JwkSet),
}

/// Verifies JWTs with the configured keys; built once at start-up.
pub struct JwtVerifier {
    hs256: Option<DecodingKey>,
    public: Option<PublicKey>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl JwtVerifier {
    pub fn new(settings: &JwtSettings) -> Result<Self, AccessError> {
        let hs256 = match &settings.hs256_secret {
            Some(secret) if secret.len() < 32 => {
                return Err(AccessError::Config {
                    what: "JWT HS256 secret",
                    path: PathBuf::from("auth.jwt.hs256_secret"),
                    reason: "must be at least 32 bytes".to_owned(),
                });
            }
            Some(secret) => Some(DecodingKey::from_secret(secret.as_bytes())),
            None => None,
        };
        let public = match (&settings.public_key, &settings.jwks) {
            (Some(_), Some(_)) => {
                return Err(AccessError::InvalidInput(
                    "set either auth.jwt.public_key or auth.jwt.jwks, not both".to_owned(),
                ));
            }
            (Some(path), None) => {
                let pem =
                    std::fs::read(path).map_err(|e| AccessError::io("JWT public key", path, e))?;
                let config = |reason: String| AccessError::Config {
                    what: "JWT public key",
                    path: path.clone(),
                    reason,
                };
                // The PEM's key type (by its OID) picks the algorithm: RSA → RS256, EC → ES256.
                if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
                    Some(PublicKey::Pem {
                        key,
                        alg: Algorithm::RS256,
                    })
                } else {
                    let key = DecodingKey::from_ec_pem(&pem).map_err(|e| config(e.to_string()))?;
                    Some(PublicKey::Pem {
                        key,
                        alg: Algorithm::ES256,
                    })
                }
            }
            (None, Some(path)) => {
                let bytes = std::fs::read(path).map_err(|e| AccessError::io("JWKS", path, e))?;
                let set: JwkSet =
                    serde_json::from_slice(&bytes).map_err(|e| AccessError::Config {
                        what: "JWKS",
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                if set.keys.is_empty() {
                    return Err(AccessError::Config {
                        what: "JWKS",
                        path: path.clone(),
                        reason: "it holds no keys".to_owned(),
                    });
                }
                Some(PublicKey::Jwks(set))
            }
            (None, None) => None,
        };
        Ok(Self {
            hs256,
            public,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
        })
    }

    /// Whether any key is configured.
    pub fn enabled(&self) -> bool {
        self.hs256.is_some() || self.public.is_some()
    }

    /// Verifies signature, expiry, issuer and audience, and returns the caller.
    pub fn verify(&self, token: &str) -> Result<Principal, AccessError> {
        let bad = |why: &str| AccessError::Unauthenticated(format!("invalid bearer token: {why}"));
        let header = decode_header(token).map_err(|_| bad("not a JWT"))?;
        let (key, alg) = match header.alg {
            Algorithm::HS256 => (
                self.hs256
                    .clone()
                    .ok_or_else(|| bad("HS256 tokens are not accepted here"))?,
                Algorithm::HS256,
            ),
            Algorithm::RS256 | Algorithm::ES256 => match &self.public {
                Some(PublicKey::Pem { key, alg }) if *alg == header.alg => (key.clone(), *alg),
                Some(PublicKey::Jwks(set)) => {
                    let jwk = match &header.kid {
                        Some(kid) => set.find(kid),
                        None if set.keys.len() == 1 => set.keys.first(),
                        None => None,
                    }
                    .ok_or_else(|| bad("no key with that `kid`"))?;
                    (
                        DecodingKey::from_jwk(jwk).map_err(|_| bad("unusable key"))?,
                        header.alg,
                    )
                }
                _ => return Err(bad("that signing algorithm is not accepted here")),
            },
            _ => return Err(bad("that signing algorithm is not accepted here")),
        };
        let mut validation = Validation::new(alg);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub"]);
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
        }
        match &self.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        let claims = decode::<JwtClaims>(token, &key, &validation)
            .map_err(|e| bad(&jwt_reason(&e)))?
            .claims;
        let forces: Vec<String> = claims
            .forces
            .iter()
            .map(|f| f.trim().to_ascii_uppercase())
            .collect();
        if forces.is_empty() || forces.iter().any(|f| f.is_empty()) {
            return Err(bad("the token names no forces"));
        }
        Ok(Principal {
            user: claims.sub,
            role: claims.role,
            forces,
            operations: claims.operations,
            method: AuthMethod::Jwt,
        })
    }
}

fn jwt_reason(err: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match err.kind() {
        ErrorKind::ExpiredSignature => "expired".to_owned(),
        ErrorKind::InvalidSignature => "bad signature".to_owned(),
        ErrorKind::InvalidIssuer => "wrong issuer".to_owned(),
        ErrorKind::InvalidAudience => "wrong audience".to_owned(),
        ErrorKind::MissingRequiredClaim(c) => format!("missing claim `{c}`"),
        ErrorKind::Json(_) => "claims missing or malformed (sub, role, forces, exp)".to_owned(),
        _ => "does not verify".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header, encode};

    use super::*;

    const SECRET: &str = "a-development-secret-of-32-bytes!!";

    fn claims(exp_from_now: i64) -> JwtClaims {
        JwtClaims {
            sub: "dc.smith".into(),
            role: Role::Analyst,
            forces: vec!["wyp".into()],
            operations: vec![],
            exp: chrono::Utc::now().timestamp() + exp_from_now,
            iss: Some("idp".into()),
            aud: None,
        }
    }

    fn hs(claims: &JwtClaims, secret: &str) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn hs256_tokens_verify_and_carry_forces() {
        let v = JwtVerifier::new(&JwtSettings {
            hs256_secret: Some(SECRET.into()),
            issuer: Some("idp".into()),
            ..Default::default()
        })
        .unwrap();
        let p = v.verify(&hs(&claims(600), SECRET)).unwrap();
        assert_eq!(
            (p.user.as_str(), p.forces.clone()),
            ("dc.smith", vec!["WYP".to_owned()])
        );
        let err = v
            .verify(&hs(&claims(-600), SECRET))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expired"), "{err}");
        let err = v
            .verify(&hs(&claims(600), "another-secret-that-is-32-bytes-long"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("signature"), "{err}");
        let mut wrong = claims(600);
        wrong.iss = Some("elsewhere".into());
        assert!(v.verify(&hs(&wrong, SECRET)).is_err());
        assert!(v.verify("not.a.jwt").is_err());
    }

    #[test]
    fn short_secrets_and_unconfigured_algorithms_are_refused() {
        assert!(
            JwtVerifier::new(&JwtSettings {
                hs256_secret: Some("short".into()),
                ..Default::default()
            })
            .is_err()
        );
        let v = JwtVerifier::new(&JwtSettings::default()).unwrap();
        assert!(!v.enabled());
        assert!(v.verify(&hs(&claims(600), SECRET)).is_err());
    }
}

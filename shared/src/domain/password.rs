use std::fmt;

/// A password that meets the policy: 10 to 128 characters. Length beats composition
/// rules (NIST SP 800-63B); the upper bound keeps hashing cost bounded.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let n = raw.chars().count();
        if n < 10 {
            Err("muss mindestens 10 Zeichen lang sein")
        } else if n > 128 {
            Err("darf höchstens 128 Zeichen lang sein")
        } else {
            Ok(Self(raw.to_string()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

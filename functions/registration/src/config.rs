use shared::config::{ConfigError, optional, required};

/// The registration function's configuration, from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub bucket_name: String,
    pub sender_address: String,
    pub jwt_private_key_pem: String,
    pub jwt_public_key_pem: String,
    pub data_key: String,
    pub public_base_url: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            bucket_name: required("BUCKET_NAME")?,
            sender_address: required("SENDER_ADDRESS")?,
            jwt_private_key_pem: required("JWT_PRIVATE_KEY_PEM")?,
            jwt_public_key_pem: required("JWT_PUBLIC_KEY_PEM")?,
            data_key: required("DATA_KEY")?,
            public_base_url: optional("PUBLIC_BASE_URL")
                .unwrap_or_else(|| "https://partnernetz.de".to_string()),
        })
    }
}

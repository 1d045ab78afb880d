//! The query parameters of a list read page by page, and the check of its page size.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::Error;

/// `?cursor=&limit=` of a paged list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Entries per page, 1–100; each list states its default.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

impl PageParams {
    /// The page size asked for, `default` when none was; 400 naming `limit` outside 1–100.
    pub fn limit_or(&self, default: u32) -> Result<u32, Error> {
        page_limit(self.limit, default, 100)
    }
}

/// The page size asked for, `default` when none was; 400 naming `limit` outside 1–`max`.
pub fn page_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, Error> {
    let limit = limit.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(Error::field(
            "limit",
            format!("muss zwischen 1 und {max} liegen"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_applies_and_sizes_outside_the_range_name_limit() {
        assert_eq!(page_limit(None, 20, 100).ok(), Some(20));
        assert_eq!(page_limit(Some(100), 20, 100).ok(), Some(100));
        for wrong in [0, 101] {
            let Err(Error::Validation(errors)) = page_limit(Some(wrong), 20, 100) else {
                panic!("{wrong} was accepted");
            };
            assert_eq!(errors[0].field, "limit");
            assert_eq!(errors[0].message, "muss zwischen 1 und 100 liegen");
        }
    }
}

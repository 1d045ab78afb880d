//! Router tests of the cards function: the kit's in-process client over SQLite, the
//! embedded S3 and the folder mailer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bookings;
mod cardholders;
mod kit;
mod merchant;
mod own_data;
mod schedule;
mod spreadsheet;

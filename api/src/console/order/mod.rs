//! `/console/orders/{id}`: everything the API shows the caller of one order (the contact phone
//! in full only to those handling it), its history from the hash-chained events with whether
//! the chain verifies, and one form per action the caller may take now. Each form posts to
//! `/console/orders/{id}/{action}`, is parsed into the same `ActionInput` the API builds and
//! goes through `service::orders::act` with the page's version as `If-Match`: a page someone
//! else has overtaken gets "someone else acted on this order; here it is now".
//!
//! [`show`] renders the page, [`parse`] reads a posted form into the action's input,
//! [`forms`] takes the post, and [`activity`] adds the order's activity and the complete
//! form's hours from attendance.

mod activity;
mod forms;
mod parse;
mod show;

pub use forms::post_action;
pub use show::show_order;

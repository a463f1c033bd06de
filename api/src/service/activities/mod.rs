//! Activities and attendance (`docs/activities.md`). Once a team has claimed an order, its
//! leader schedules the activity; the team's volunteers sign up (beyond the slots they wait in
//! line), check in and out with a short code shown on the leader's phone, and `complete` takes
//! their hours from that attendance. Each room holds one part:
//! - [`access`]: who the caller is to an order's activity (staff, its leader, a member);
//! - [`schedule`]: scheduling and rescheduling, and reading the activity with its roster;
//! - [`signup`]: signing up and withdrawing, never more than `slots` signed up;
//! - [`attendance`]: the check-in code, check-in and check-out, the leader's manual record,
//!   and the hours `complete` files from attendance;
//! - [`mine`]: a volunteer's own activities, and their private calendar feed;
//! - [`links`]: the links and the QR code the leader's page shows;
//! - [`sweep`]: what the sweeper does for activities (forgotten check-outs, reminders);
//! - [`team`]: a leader's team's activities, and what a volunteer may see of an order;
//! - [`roster`]: holding an activity's row while its roster changes, and counting it;
//! - [`view`]: what clients see.

pub mod access;
pub mod attendance;
pub mod links;
pub mod mine;
pub mod roster;
pub mod schedule;
pub mod signup;
pub mod sweep;
pub mod team;
pub mod view;

pub use access::{Access, Role as AccessRole, access};
pub use attendance::{
    IssuedCode, ManualAttendance, completion_day, hours_for_completion, is_from_attendance,
};
pub use view::{ActivityView, MyActivities, MyActivity, RosterRow, SignupView};

//! The links and the QR code the leader's code page shows, and the volunteer's withdraw link.

use kepu_domain::activity::CheckInCode;
use qrcode::QrCode;
use qrcode::render::svg;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// The page of an activity in the console.
pub fn activity_page(public_url: &str, order_id: Uuid) -> String {
    format!("{public_url}/console/activities/{order_id}")
}

/// The check-in link for `code`: what the leader's QR code holds. Opening it on a signed-in
/// phone checks the volunteer in (the console's page posts the code).
pub fn check_in_link(public_url: &str, order_id: Uuid, code: &CheckInCode) -> String {
    format!(
        "{}/check-in?code={}",
        activity_page(public_url, order_id),
        code.as_str()
    )
}

/// The link in the reminder that lets a volunteer withdraw.
pub fn withdraw_link(public_url: &str, order_id: Uuid) -> String {
    format!("{}/withdraw", activity_page(public_url, order_id))
}

/// `link` as a QR code in SVG, black on white, at least 240 px wide, with the quiet zone.
pub fn qr_svg(link: &str) -> ApiResult<String> {
    let code = QrCode::new(link.as_bytes())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("QR code of a link: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_in_link_carries_the_order_and_the_code() {
        let code = CheckInCode::parse("012345").expect("a code");
        let link = check_in_link("https://kepu.example.cn", Uuid::nil(), &code);
        assert_eq!(
            link,
            format!(
                "https://kepu.example.cn/console/activities/{}/check-in?code=012345",
                Uuid::nil()
            )
        );
        assert!(withdraw_link("http://x", Uuid::nil()).ends_with("/withdraw"));
    }

    #[test]
    fn the_qr_code_is_an_svg_of_the_link() {
        let link = "https://kepu.example.cn/console/activities/0/check-in?code=012345";
        let svg = qr_svg(link).expect("an svg");
        assert!(svg.starts_with("<?xml"), "{}", &svg[..40]);
        assert!(svg.contains("<svg"));
        assert!(svg.contains("#000000") && svg.contains("#ffffff"));
        assert!(svg.trim_end().ends_with("</svg>"));
        // The same link gives the same picture; another link another one.
        assert_eq!(svg, qr_svg(link).expect("an svg"));
        assert_ne!(
            svg,
            qr_svg(&link.replace("012345", "543210")).expect("an svg")
        );
        // The modules match the QR code of the link itself (version and size).
        let modules = QrCode::new(link.as_bytes()).expect("a code").width();
        assert!(modules >= 21, "{modules}");
        assert!(
            qr_svg(&"x".repeat(8000)).is_err(),
            "too long for any QR code"
        );
    }
}

//! The resident's and volunteer's pages, as a browser without JavaScript uses them: plain GETs
//! and form posts, with the cookies the server sets.

use crate::helpers::*;
use serde_json::json;

async fn order_count(app: &TestApp) -> usize {
    let admin = app.admin().await;
    app.get("/api/v1/orders?limit=200", Some(&admin))
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
        .len()
}

/// A valid form post, as the page would send it.
fn good_order<'a>(csrf: &'a str, idem: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("idem", idem),
        ("theme", "health"),
        ("township", "xini"),
        ("village", ""),
        ("description", "请来讲讲高血压怎么预防"),
        ("contact_name", "王大妈"),
        ("contact_phone", "139 1234 5678"),
        ("target_group", ""),
        ("preferred_date", ""),
        ("expected_attendees", "20"),
        ("address", ""),
    ]
}

#[tokio::test]
async fn the_form_is_served_with_a_strict_policy_and_hashed_immutable_assets() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let page = b.get("/").await;
    assert_eq!(page.status, 200);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.headers["cache-control"], "no-cache");
    assert!(page.html.contains("<html lang=\"zh-CN\">"));
    assert!(page.html.contains("锡尼镇"), "townships from the data");
    assert!(page.html.contains("value=\"farming_herding\""), "themes");
    assert!(
        !page.html.contains("<script>"),
        "no inline script: only the external file and a JSON data block"
    );
    assert!(b.cookies.contains_key("kepu_csrf"));

    let mut urls = Vec::new();
    for (attr, ext) in [
        ("href=\"/static/app.", ".css"),
        ("src=\"/static/app.", ".js"),
    ] {
        let start = page.html.find(attr).expect("asset link") + attr.len() - "/static/app.".len();
        let end = page.html[start..].find('"').unwrap() + start;
        let url = &page.html[start..end];
        assert!(url.ends_with(ext), "{url}");
        let hash = &url["/static/app.".len()..url.len() - ext.len()];
        assert!(
            hash.len() >= 8 && hash.bytes().all(|c| c.is_ascii_hexdigit()),
            "content hash in {url}"
        );
        urls.push(url.to_owned());
        let resp = app
            .client
            .get(format!("{}{url}", app.address))
            .header("Accept-Encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            resp.headers()["content-encoding"],
            "gzip",
            "served compressed"
        );
    }
    let stale = app
        .client
        .get(format!("{}/static/app.0000000000.css", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 404);

    let sw = b.get("/sw.js").await;
    assert_eq!(sw.status, 200);
    assert_eq!(sw.headers["cache-control"], "no-cache");
    for url in &urls {
        assert!(sw.html.contains(url.as_str()), "the worker caches {url}");
    }
}

#[tokio::test]
async fn a_bad_post_renders_the_form_again_with_messages_and_typed_values_and_stores_nothing() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let form = b.get("/").await;
    let (csrf, idem) = (form.input("csrf"), form.input("idem"));
    let page = b
        .post(
            "/",
            &[
                ("csrf", &csrf),
                ("idem", &idem),
                ("township", "xini"),
                ("description", "<script>alert(1)</script> 讲讲防火"),
                ("contact_name", ""),
                ("contact_phone", "12345"),
                ("expected_attendees", "很多"),
                ("preferred_date", "2000-01-01"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(page.error("theme"), "必填");
    assert_eq!(page.error("contact_name"), "必填");
    assert!(page.error("contact_phone").contains("11位手机号码"));
    assert_eq!(page.error("expected_attendees"), "请填写数字");
    assert!(page.error("preferred_date").contains("不能早于今天"));
    assert_eq!(page.error("description"), "", "a good field has no message");
    assert!(
        page.html
            .contains("&#60;script&#62;alert(1)&#60;/script&#62; 讲讲防火"),
        "typed text kept, escaped"
    );
    assert!(!page.html.contains("<script>alert(1)"));
    assert!(page.html.contains("value=\"12345\""));
    assert!(page.html.contains("value=\"很多\""));
    assert!(page.html.contains("<option value=\"xini\" selected>"));
    assert_eq!(
        page.input("idem"),
        idem,
        "the same submission keeps its key"
    );
    assert_eq!(order_count(&app).await, 0);

    // The same refusal in English, on a page whose language was chosen with ?lang=en.
    let mut en = Browser::new(&app);
    let form = en.get("/?lang=en").await;
    let page = en
        .post(
            "/",
            &[
                ("csrf", &form.input("csrf")),
                ("idem", &form.input("idem")),
                ("contact_phone", "12345"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.html.contains("<html lang=\"en\">"));
    assert_eq!(page.error("theme"), "Required");
    assert!(
        page.error("contact_phone")
            .starts_with("Enter an 11-digit mobile number")
    );
    assert_eq!(order_count(&app).await, 0);

    // An unknown township is found by the service, not the parser: same page, same care.
    let mut pairs = good_order(&csrf, &idem);
    pairs[3] = ("township", "atlantis");
    let page = b.post("/", &pairs).await;
    assert_eq!(page.status, 422);
    assert_eq!(page.error("township"), "没有这个苏木镇");
    assert!(page.html.contains("请来讲讲高血压怎么预防"));
    assert_eq!(order_count(&app).await, 0);
}

#[tokio::test]
async fn a_post_without_the_csrf_cookie_or_from_another_origin_is_refused_but_keeps_the_text() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let form = b.get("/").await;
    let (csrf, idem) = (form.input("csrf"), form.input("idem"));

    let mut stranger = Browser::new(&app);
    let page = stranger.post("/", &good_order(&csrf, &idem)).await;
    assert_eq!(page.status, 403);
    assert!(page.html.contains("页面已过期"));
    assert!(page.html.contains("请来讲讲高血压怎么预防"));

    let forged = b
        .send(
            app.client
                .post(format!("{}/", app.address))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", "https://evil.example")
                .body(encode(&good_order(&csrf, &idem))),
        )
        .await;
    assert_eq!(forged.status, 403);

    let wrong_token = b
        .post("/", &good_order("x".repeat(32).as_str(), &idem))
        .await;
    assert_eq!(wrong_token.status, 403);
    assert_eq!(order_count(&app).await, 0);
}

#[tokio::test]
async fn a_good_post_stores_one_order_even_when_sent_twice_and_shows_its_code() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let form = b.get("/").await;
    let (csrf, idem) = (form.input("csrf"), form.input("idem"));
    let sent = b.post("/", &good_order(&csrf, &idem)).await;
    assert_eq!(sent.status, 303);
    let location = sent.location();
    let code = location
        .strip_prefix("/done/")
        .expect("sent page")
        .to_owned();
    assert_eq!(code.len(), 8);
    let remembered = b.cookies["kepu_orders"].clone();
    assert!(remembered.starts_with(&format!("{code}:")));
    let set_cookie = sent.headers["set-cookie"].to_str().unwrap();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));

    // The back button and a second tap send the same key again: still one order.
    let again = b.post("/", &good_order(&csrf, &idem)).await;
    assert_eq!(again.location(), location);
    assert_eq!(order_count(&app).await, 1);

    let done = b.get(&location).await;
    assert_eq!(done.status, 200);
    assert!(
        done.html
            .contains(&format!("<p class=\"code\" id=\"code\">{code}</p>"))
    );
    assert!(done.html.contains(&format!("href=\"/t/{code}\"")));

    let home = b.get("/").await;
    assert!(
        home.html.contains(&format!("href=\"/t/{code}\"")),
        "my requests"
    );
    let admin = app.admin().await;
    let list = app.get("/api/v1/orders", Some(&admin)).await.expect(200);
    let order = &list["items"][0];
    assert_eq!(order["tracking_code"], code.as_str());
    assert_eq!(order["contact_phone"], "13912345678");
    assert_eq!(order["expected_attendees"], 20);
    assert_eq!(order["channel"], "web");

    assert_eq!(b.get("/done/ZZZZZZZZ").await.status, 404);
    assert_eq!(b.get("/t/not-a-code").await.status, 404);
    let lookup = b.get(&format!("/t?code={}", code.to_lowercase())).await;
    assert_eq!(lookup.location(), format!("/t/{code}"));
}

#[tokio::test]
async fn the_tracking_page_names_organisations_and_never_shows_personal_data() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (id, _) = cast.order_in(&app, "claimed").await;
    let admin = app.admin().await;
    let order = app
        .get(&format!("/api/v1/orders/{id}"), Some(&admin))
        .await
        .expect(200);
    let code = order["tracking_code"].as_str().unwrap();
    let team = app.get("/api/v1/teams", None).await.expect(200)["items"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut b = Browser::new(&app);
    let page = b.get(&format!("/t/{code}")).await;
    assert_eq!(page.status, 200);
    assert!(page.headers.contains_key("content-security-policy"));
    for shown in [
        "已点单",
        "已派单",
        "已领单",
        "已接单",
        "锡尼镇新时代文明实践所",
        "旗农牧局",
        &team,
    ] {
        assert!(page.html.contains(shown), "shows {shown}");
    }
    assert!(
        page.html.contains("<li class=\"todo\">已结单</li>"),
        "steps ahead"
    );
    for hidden in ["13812345678", "138****5678", "巴特尔", "测试用户", "志愿者"] {
        assert!(!page.html.contains(hidden), "leaks {hidden}");
    }
    assert!(
        !page.html.contains("id=\"act\""),
        "a claimed order can be neither cancelled nor rated by the resident"
    );
    let (id, _) = cast.order_in(&app, "submitted").await;
    let fresh = app
        .get(&format!("/api/v1/orders/{id}"), Some(&admin))
        .await
        .expect(200);
    let page = b
        .get(&format!("/t/{}", fresh["tracking_code"].as_str().unwrap()))
        .await;
    assert!(
        page.html.contains("<section id=\"act\" data-code=\"") && page.html.contains("\" hidden>"),
        "a phone without the order's token sees no actions"
    );

    let english = b.get(&format!("/t/{code}?lang=en")).await;
    assert!(english.html.contains("<html lang=\"en\">"));
    assert!(english.html.contains("Claimed"));
    assert_eq!(b.cookies["lang"], "en");
    assert!(b.get("/").await.html.contains("Request a science service"));
}

#[tokio::test]
async fn the_phone_that_sent_an_order_cancels_and_rates_it_without_javascript() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let admin = app.admin().await;
    let mut b = Browser::new(&app);

    let form = b.get("/").await;
    let csrf = form.input("csrf");
    let code = b
        .post("/", &good_order(&csrf, &form.input("idem")))
        .await
        .location()["/done/".len()..]
        .to_owned();
    let page = b.get(&format!("/t/{code}")).await;
    assert!(
        page.html.contains("<section id=\"act\" data-code=\"") && !page.html.contains("\" hidden>")
    );
    assert!(page.html.contains("取消这个点单"));

    // Someone else with the code cannot cancel it.
    let mut stranger = Browser::new(&app);
    let theirs = stranger.get(&format!("/t/{code}")).await;
    let refused = stranger
        .post(
            &format!("/t/{code}/cancel"),
            &[("csrf", &theirs.input("csrf")), ("reason", "")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.html.contains("只有提交这个点单的手机"));

    let cancelled = b
        .post(
            &format!("/t/{code}/cancel"),
            &[("csrf", &csrf), ("reason", "已经自己解决了")],
        )
        .await;
    assert_eq!(cancelled.status, 303);
    assert_eq!(cancelled.location(), format!("/t/{code}?m=cancelled"));
    let track = app
        .get(&format!("/api/v1/track/{code}"), None)
        .await
        .expect(200);
    assert_eq!(track["state"], "cancelled");
    let page = b.get(&cancelled.location()).await;
    assert!(page.html.contains("已取消"));
    assert!(!page.html.contains("取消这个点单"), "nothing left to do");
    let late = b
        .post(&format!("/t/{code}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(late.status, 409);
    assert!(late.html.contains("进度已经变化"));

    // A second order is served through the API, then rated on the page.
    let form = b.get("/").await;
    let mut pairs = good_order(&csrf, "");
    let idem = form.input("idem");
    pairs[1] = ("idem", &idem);
    pairs[5] = ("description", "请来教老人用智能手机");
    let code = b.post("/", &pairs).await.location()["/done/".len()..].to_owned();
    let list = app.get("/api/v1/orders", Some(&admin)).await.expect(200);
    let id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["tracking_code"] == code.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.act(
        &id,
        "dispatch",
        json!({"department_id": cast.department_id}),
        &cast.station,
    )
    .await
    .expect(200);
    app.act(&id, "accept", json!({}), &cast.department)
        .await
        .expect(200);
    app.act(&id, "claim", json!({}), &cast.leader)
        .await
        .expect(200);
    app.act(&id, "complete", cast.completion(), &cast.leader)
        .await
        .expect(200);

    let page = b.get(&format!("/t/{code}")).await;
    assert!(page.html.contains("评价服务"));
    assert!(
        !page.html.contains("取消这个点单"),
        "a served order is not cancelled"
    );
    let no_score = b
        .post(
            &format!("/t/{code}/rate"),
            &[("csrf", &csrf), ("comment", "很好")],
        )
        .await;
    assert_eq!(no_score.status, 422);
    assert_eq!(no_score.error("score"), "必填");
    assert!(no_score.html.contains("很好</textarea>"), "comment kept");
    let rated = b
        .post(
            &format!("/t/{code}/rate"),
            &[("csrf", &csrf), ("score", "4"), ("comment", "讲得很清楚")],
        )
        .await;
    assert_eq!(rated.status, 303);
    let track = app
        .get(&format!("/api/v1/track/{code}"), None)
        .await
        .expect(200);
    assert_eq!(track["state"], "closed");
    let order = app
        .get(&format!("/api/v1/orders/{id}"), Some(&admin))
        .await
        .expect(200);
    assert_eq!(order["rating_score"], 4);
}

#[tokio::test]
async fn a_volunteer_signs_up_on_the_page_and_waits_for_review() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let form = b.get("/volunteer").await;
    assert_eq!(form.status, 200);
    assert!(form.headers.contains_key("content-security-policy"));
    let (csrf, idem) = (form.input("csrf"), form.input("idem"));
    let bad = b
        .post(
            "/volunteer",
            &[
                ("csrf", &csrf),
                ("idem", &idem),
                ("real_name", "乌云"),
                ("phone", "13700001111"),
                ("township", "xini"),
                ("skills", "兽医"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(!bad.error("password").is_empty());
    assert!(bad.html.contains("value=\"乌云\"") && bad.html.contains("兽医</textarea>"));
    assert!(
        !bad.html.contains("value=\"short\""),
        "passwords are never echoed"
    );

    let good = [
        ("csrf", csrf.as_str()),
        ("idem", idem.as_str()),
        ("real_name", "乌云"),
        ("phone", "13700001111"),
        ("township", "xini"),
        ("skills", "兽医"),
        ("password", "long-enough-1"),
    ];
    let done = b.post("/volunteer", &good).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location(), "/volunteer/done");
    assert_eq!(
        b.post("/volunteer", &good).await.status,
        303,
        "a retry is answered, not refused"
    );
    let page = b.get("/volunteer/done").await;
    assert!(page.html.contains("等待科协审核"));

    let admin = app.admin().await;
    let pending = app
        .get("/api/v1/volunteers?state=pending", Some(&admin))
        .await
        .expect(200);
    let items = pending["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{pending}");
    assert_eq!(items[0]["real_name"], "乌云");

    let taken = b
        .post(
            "/volunteer",
            &[
                ("csrf", &csrf),
                ("idem", "another-key"),
                ("real_name", "乌云"),
                ("phone", "13700001111"),
                ("township", "xini"),
                ("password", "long-enough-1"),
            ],
        )
        .await;
    assert_eq!(taken.status, 422);
    assert_eq!(taken.error("phone"), "这个手机号已经注册");
}

#[tokio::test]
async fn villages_are_offered_by_township_and_must_belong_to_the_chosen_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let village = app
        .post(
            "/api/v1/townships/balagong/villages",
            &json!({"name": "乌兰嘎查"}),
            Some(&admin),
        )
        .await
        .expect(201);
    let village_id = village["id"].as_str().unwrap();

    let mut b = Browser::new(&app);
    let form = b.get("/").await;
    assert!(
        form.html
            .contains("<optgroup label=\"巴拉贡镇\" data-t=\"balagong\"><option value=\""),
        "villages grouped by township, so the list works without JavaScript"
    );
    assert!(form.html.contains(">乌兰嘎查</option>"));
    let (csrf, idem) = (form.input("csrf"), form.input("idem"));

    let mut pairs = good_order(&csrf, &idem);
    pairs[4] = ("village", village_id);
    let wrong = b.post("/", &pairs).await;
    assert_eq!(wrong.status, 422, "乌兰嘎查 is not in 锡尼镇");
    assert_eq!(wrong.error("village"), "该苏木镇下没有这个嘎查/村");
    assert!(
        wrong
            .html
            .contains(&format!("<option value=\"{village_id}\" selected>")),
        "the choice is kept"
    );

    pairs[3] = ("township", "balagong");
    let sent = b.post("/", &pairs).await;
    assert_eq!(sent.status, 303);
    let list = app.get("/api/v1/orders", Some(&admin)).await.expect(200);
    assert_eq!(list["items"][0]["village"], village_id);
    assert_eq!(list["items"][0]["township"], "balagong");
}

#[tokio::test]
async fn a_rate_limited_post_keeps_what_was_typed_and_says_when_to_retry() {
    let app = spawn_app_with(|s| s.rate_limit = 1).await;
    let mut b = Browser::new(&app);
    let form = b.get("/").await;
    let (csrf, idem) = (form.input("csrf"), form.input("idem"));
    assert_eq!(b.post("/", &good_order(&csrf, &idem)).await.status, 303);
    let mut pairs = good_order(&csrf, "another-key-0001");
    pairs[5] = ("description", "第二个需求：请讲讲防沙治沙");
    let limited = b.post("/", &pairs).await;
    assert_eq!(limited.status, 429);
    assert!(limited.headers.contains_key("retry-after"));
    assert!(limited.html.contains("操作太频繁"));
    assert!(
        limited
            .html
            .contains("第二个需求：请讲讲防沙治沙</textarea>")
    );
    assert_eq!(order_count(&app).await, 1);
}

#[tokio::test]
async fn an_unreadable_or_oversized_post_gets_a_page_not_a_bare_error() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let form = b.get("/").await;
    let huge = "长".repeat(30_000);
    let page = b
        .post(
            "/",
            &[("csrf", &form.input("csrf")), ("description", &huge)],
        )
        .await;
    assert_eq!(page.status, 413);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.html.contains("提交的内容太长或无法识别"));
    let not_a_form = b
        .send(
            app.client
                .post(format!("{}/volunteer", app.address))
                .header("Content-Type", "application/json")
                .body("{}"),
        )
        .await;
    assert_eq!(not_a_form.status, 415);
    assert!(not_a_form.html.contains("提交的内容太长或无法识别"));
    assert_eq!(order_count(&app).await, 0);
}

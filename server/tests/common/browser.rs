//! The console as a browser sees it: a small blocking HTTP client that keeps cookies by hand and
//! never follows redirects, for the console tests.

use super::TestServer;

/// A small HTTP client that keeps cookies by hand and never follows redirects.
pub struct Browser {
    pub base: String,
    pub cookies: Vec<(String, String)>,
}

pub struct Page {
    pub status: u16,
    pub location: String,
    pub body: String,
    pub set_cookies: Vec<String>,
    pub csp: String,
}

impl Browser {
    pub fn new(s: &TestServer) -> Browser {
        Browser {
            base: s.url.clone(),
            cookies: Vec::new(),
        }
    }

    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Page {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("cookie", c.join("; "));
        }
        if form.is_some() && !extra.iter().any(|(k, _)| *k == "content-type") {
            req = req.header("content-type", "application/x-www-form-urlencoded");
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let res = agent
            .run(
                req.body(form.unwrap_or("").as_bytes().to_vec())
                    .expect("request"),
            )
            .expect("transport");
        let header = |n: &str| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let set_cookies: Vec<String> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for sc in &set_cookies {
            if let Some((k, v)) = sc.split(';').next().and_then(|kv| kv.split_once('=')) {
                self.cookies.retain(|(name, _)| name != k);
                if !v.is_empty() {
                    self.cookies.push((k.to_owned(), v.to_owned()));
                }
            }
        }
        let status = res.status().as_u16();
        let location = header("location");
        let csp = header("content-security-policy");
        Page {
            status,
            location,
            csp,
            set_cookies,
            body: res.into_body().read_to_string().unwrap_or_default(),
        }
    }

    pub fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None, &[])
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    pub fn sign_in(&mut self, user: &str) -> Page {
        self.get("/console/login");
        let csrf = self.cookie("cl_login_csrf").expect("login csrf cookie");
        self.send(
            "POST",
            "/console/login",
            Some(&format!(
                "username={user}&password={user}-demo-pass&csrf={csrf}"
            )),
            &[],
        )
    }

    /// The session's CSRF token, as the pages carry it.
    pub fn csrf(&mut self) -> String {
        let page = self.get("/console/review");
        let at = page.body.find("data-csrf=\"").expect("csrf on the page") + 11;
        page.body[at..at + 32].to_owned()
    }
}

//! The public pages' two languages: Dutch and English.
//!
//! The language comes from `?lang=` (remembered in a cookie), then the
//! cookie, then `Accept-Language`; English when nothing matches.

use axum::http::HeaderMap;

/// Name of the cookie that remembers an explicit language choice.
pub const LANG_COOKIE: &str = "hw_lang";

/// A language the public pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Dutch.
    Nl,
}

impl Lang {
    /// The BCP 47 tag (`en`, `nl`), as used in `lang=` attributes and links.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }

    /// Parses `en` or `nl` (case-insensitive), nothing else.
    pub fn parse(tag: &str) -> Option<Lang> {
        if tag.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if tag.eq_ignore_ascii_case("nl") {
            Some(Lang::Nl)
        } else {
            None
        }
    }

    /// The other language (for the switch link).
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Nl,
            Lang::Nl => Lang::En,
        }
    }

    /// The texts of this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Nl => &NL,
        }
    }
}

/// Picks the language: an explicit `?lang=` wins, then the cookie, then
/// the best-weighted `Accept-Language` entry we have texts for.
pub fn choose(query_lang: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(lang) = query_lang.and_then(Lang::parse) {
        return lang;
    }
    if let Some(lang) = super::cookies::get(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)) {
        return lang;
    }
    headers
        .get_all(axum::http::header::ACCEPT_LANGUAGE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(accept_entry)
        .fold(None::<(Lang, f32)>, |best, (lang, q)| match best {
            Some((_, bq)) if bq >= q => best,
            _ => Some((lang, q)),
        })
        .map_or(Lang::En, |(lang, _)| lang)
}

/// One `Accept-Language` entry (`nl-NL;q=0.8`) as a language we know and
/// its weight; `None` for languages we have no texts for or weight 0.
fn accept_entry(entry: &str) -> Option<(Lang, f32)> {
    let mut parts = entry.split(';');
    let range = parts.next()?.trim();
    let primary = range.split('-').next()?;
    let lang = Lang::parse(primary)?;
    let mut q = 1.0f32;
    for param in parts {
        if let Some(v) = param.trim().strip_prefix("q=") {
            q = v.trim().parse().ok()?;
        }
    }
    (q > 0.0).then_some((lang, q))
}

/// Every text on the public pages, one field per string.
#[allow(missing_docs)]
pub struct Texts {
    pub title: &'static str,
    pub intro: &'static str,
    pub urls_label: &'static str,
    pub urls_hint: &'static str,
    pub category_label: &'static str,
    pub cat_csam: &'static str,
    pub cat_terrorism: &'static str,
    pub cat_other: &'static str,
    pub description_label: &'static str,
    pub email_label: &'static str,
    pub email_hint: &'static str,
    pub submit: &'static str,
    pub privacy: &'static str,
    pub switch_to: &'static str,
    pub thanks_title: &'static str,
    pub thanks_body: &'static str,
    pub your_reference: &'static str,
    pub status_link: &'static str,
    pub status_title: &'static str,
    pub state_received: &'static str,
    pub state_being_assessed: &'static str,
    pub state_closed: &'static str,
    pub not_found: &'static str,
    pub too_many: &'static str,
    pub too_large: &'static str,
    pub invalid: &'static str,
    pub error_title: &'static str,
    pub back: &'static str,
    pub stats_title: &'static str,
}

static EN: Texts = Texts {
    title: "Report illegal content online",
    intro: "Report web addresses showing child sexual abuse material or terrorist content. \
            Do not download, copy or forward the material itself.",
    urls_label: "Web addresses (one per line)",
    urls_hint: "For example https://example.com/page. Up to 50 addresses.",
    category_label: "What does it show?",
    cat_csam: "Child sexual abuse material",
    cat_terrorism: "Terrorist content",
    cat_other: "Other illegal content",
    description_label: "Description (optional)",
    email_label: "E-mail address for feedback (optional)",
    email_hint: "Only used to tell you the outcome; deleted afterwards.",
    submit: "Send report",
    privacy: "Your IP address is not stored.",
    switch_to: "Nederlands",
    thanks_title: "Thank you, your report was received",
    thanks_body: "Analysts will assess it. Keep the reference below to follow its state.",
    your_reference: "Your reference",
    status_link: "State of this report",
    status_title: "State of report",
    state_received: "Received",
    state_being_assessed: "Being assessed",
    state_closed: "Closed",
    not_found: "There is no report with this reference.",
    too_many: "Too many reports from your connection. Please wait a minute and try again.",
    too_large: "The submission is too large.",
    invalid: "The report could not be accepted",
    error_title: "Something went wrong",
    back: "Back to the report form",
    stats_title: "Reports in figures",
};

static NL: Texts = Texts {
    title: "Meld illegale inhoud online",
    intro: "Meld webadressen met seksueel kindermisbruikmateriaal of terroristische inhoud. \
            Download, kopieer of verstuur het materiaal zelf niet.",
    urls_label: "Webadressen (één per regel)",
    urls_hint: "Bijvoorbeeld https://example.com/pagina. Hooguit 50 adressen.",
    category_label: "Wat is er te zien?",
    cat_csam: "Seksueel kindermisbruikmateriaal",
    cat_terrorism: "Terroristische inhoud",
    cat_other: "Andere illegale inhoud",
    description_label: "Omschrijving (niet verplicht)",
    email_label: "E-mailadres voor terugkoppeling (niet verplicht)",
    email_hint: "Alleen gebruikt om u de uitkomst te laten weten; daarna gewist.",
    submit: "Melding versturen",
    privacy: "Uw IP-adres wordt niet bewaard.",
    switch_to: "English",
    thanks_title: "Dank u, uw melding is ontvangen",
    thanks_body: "Analisten beoordelen de melding. Bewaar het kenmerk hieronder om de stand te volgen.",
    your_reference: "Uw kenmerk",
    status_link: "Stand van deze melding",
    status_title: "Stand van melding",
    state_received: "Ontvangen",
    state_being_assessed: "Wordt beoordeeld",
    state_closed: "Afgehandeld",
    not_found: "Er is geen melding met dit kenmerk.",
    too_many: "Te veel meldingen vanaf uw verbinding. Wacht een minuut en probeer het opnieuw.",
    too_large: "De melding is te groot.",
    invalid: "De melding kon niet worden aangenomen",
    error_title: "Er ging iets mis",
    back: "Terug naar het meldformulier",
    stats_title: "Meldingen in cijfers",
};

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(accept) {
            h.insert(axum::http::header::ACCEPT_LANGUAGE, v);
        }
        h
    }

    #[test]
    fn accept_language_weights_decide() {
        assert_eq!(choose(None, &headers("nl-NL,nl;q=0.9,en;q=0.8")), Lang::Nl);
        assert_eq!(choose(None, &headers("de,en;q=0.5,nl;q=0.4")), Lang::En);
        assert_eq!(choose(None, &headers("en;q=0.2, nl;q=0.7")), Lang::Nl);
        assert_eq!(choose(None, &headers("fr")), Lang::En);
        assert_eq!(choose(None, &headers("nl;q=0")), Lang::En);
    }

    #[test]
    fn query_beats_cookie_beats_header() {
        let mut h = headers("nl");
        assert_eq!(choose(Some("en"), &h), Lang::En);
        h.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_static("x=1; hw_lang=en"),
        );
        assert_eq!(choose(None, &h), Lang::En);
        assert_eq!(choose(Some("nl"), &h), Lang::Nl);
        assert_eq!(choose(Some("xx"), &h), Lang::En);
    }
}

//! The HTML shell and the route table.

use crate::pages::{
    AdminHome, AdminLayout, AdminNotFound, HelpPage, HomeRedirect, LoginPage, NotFound, PeoplePage,
    RunDetailsPage, SyncsPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};

/// Stores the viewer's IANA time zone in a cookie so the server can write times in it.
/// The server reads the first `tz` cookie the browser sends, which is the one of the
/// narrowest path, so the script checks that one and expires any `tz` of a narrower path
/// than `/` on the way to this page. When the cookie was missing or named another zone (it
/// expired, or the viewer travelled) an Admin Panel page was just written in the wrong
/// zone: it is loaded again, at once, before its body is read. Only when the cookie did
/// change, so a browser that refuses it (or a cookie it cannot replace) is never reloaded
/// in a loop.
const TIME_ZONE_SCRIPT: &str = "try{var z=Intl.DateTimeFormat().resolvedOptions().timeZone;\
if(z){var c='tz='+encodeURIComponent(z),first=function(){return document.cookie.split('; ')\
.filter(function(p){return p.indexOf('tz=')===0})[0]};if(first()!==c){\
var s=location.pathname.split('/'),q='';for(var i=1;i<s.length;i++){q+='/'+s[i];\
document.cookie='tz=;path='+q+';max-age=0'}\
document.cookie=c+';path=/;max-age=31536000;samesite=lax';\
if(first()===c&&location.pathname.indexOf('/admin')===0)location.reload()}}}catch(e){}";

/// Until the app has hydrated (`data-hydrated` on the body), a change in a form marked
/// `data-sends-early` (the Syncs filters) loads the page for the form's values, as a GET
/// form would, with defaults, empty fields and (but for a Custom range) the dates left
/// out: a choice made while the page's module is still on its way is applied, not reset
/// when hydration finishes. A typed day (a `data-day` field) is sent when the dates are
/// left (or with Enter, which sends the form): going from one date, or its calendar
/// button, to the other sends nothing yet. A day picked on a calendar fills its field and
/// is sent at once; a `data-opens-calendar` button opens the calendar it names. A click on
/// an element with `data-early-href` (a run's Download) fetches that address (the server's
/// CSV of the log) rather than doing nothing; one with `data-early-toggle` (the phone's
/// Filters button) toggles that class on the element it controls. The page's `js` class
/// tells the stylesheet that script runs (without it, the filters are never folded away).
const PREHYDRATION_SCRIPT: &str = "document.documentElement.classList.add('js');\
document.addEventListener('click',function(e){if(document.body.hasAttribute('data-hydrated'))\
return;var t=e.target&&e.target.closest?e.target:null;\
var b=t&&t.closest('[data-early-href]');if(b){e.preventDefault();\
location.assign(b.getAttribute('data-early-href'));return}\
var p=t&&t.closest('[data-opens-calendar]');if(p){var i=document.getElementById(\
p.getAttribute('data-opens-calendar'));if(i&&i.showPicker)try{i.showPicker()}catch(x){}return}\
var g=t&&t.closest('[data-early-toggle]');if(g){var c=document.getElementById(\
g.getAttribute('aria-controls'));if(c){var on=c.classList.toggle(\
g.getAttribute('data-early-toggle'));g.setAttribute('aria-expanded',String(on))}}});\
function early(e){var t=e.target,f=t&&t.form;\
return f&&f.hasAttribute('data-sends-early')&&\
!document.body.hasAttribute('data-hydrated')?f:null}\
function send(f){var d=new FormData(f),c=d.get('range')==='custom',q=new URLSearchParams();\
d.forEach(function(v,k){if(v&&!(k==='range'&&v==='all')&&\
!(k==='sort'&&v==='newest')&&(c||(k!=='from'&&k!=='to')))q.append(k,v)});\
var s=q.toString();location.assign(f.action+(s?'?'+s:''))}\
function day(i){return i&&i.hasAttribute&&i.hasAttribute('data-day')}\
function dates(i){return day(i)||(i&&i.hasAttribute&&i.hasAttribute('data-opens-calendar'))}\
document.addEventListener('change',function(e){var f=early(e),t=e.target;if(!f)return;\
if(day(t)){t.setAttribute('data-edited','');return}\
if(t.type==='date'){var d=t.parentNode.firstElementChild;if(day(d))d.value=t.value}send(f)});\
document.addEventListener('focusout',function(e){var t=e.target,f=early(e),n=e.relatedTarget;\
if(!f||!dates(t)||(n&&n.form===f&&dates(n)))return;\
var d=[].filter.call(f.elements,day),ed=0;d.forEach(function(i){\
if(i.hasAttribute('data-edited'))ed=1});\
if(!ed)return;d.forEach(function(i){i.removeAttribute('data-edited')});send(f)});";

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <script nonce=leptos::nonce::use_nonce() inner_html=TIME_ZONE_SCRIPT></script>
                <script nonce=leptos::nonce::use_nonce() inner_html=PREHYDRATION_SCRIPT></script>
                // Named by their content when built with hash-files (assets.rs).
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                // Leptos 0.8 writes the nonce into its preloads' `crossorigin`; HTML reads
                // that as "anonymous", the mode of the fetches they warm, so it is harmless
                // (resilience.spec.ts shows each file is fetched once).
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: mark the page once the app has hydrated.
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title formatter=|text: String| if text.is_empty() { "Blink Admin".to_string() } else { format!("{text} · Blink Admin") } />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=HomeRedirect />
                <Route path=path!("/login") view=LoginPage />
                // Admin pages render whole before the response starts, so a redirect
                // (signed out) or a 403 (no access) reaches the status line.
                <ParentRoute path=path!("/admin") view=AdminLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=AdminHome ssr=SsrMode::Async />
                    <Route path=path!("user-provisioning") view=SyncsPage ssr=SsrMode::Async />
                    <Route path=path!("user-provisioning/help") view=HelpPage ssr=SsrMode::Async />
                    <Route path=path!("user-provisioning/runs/:id") view=RunDetailsPage ssr=SsrMode::Async />
                    <Route path=path!("user-provisioning/people") view=PeoplePage ssr=SsrMode::Async />
                    // Any other Admin Panel address: "Page not found" inside the frame.
                    <Route path=path!("*any") view=AdminNotFound ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

"""The development issuer's pages (开发用签发方的登录页): the login page of the web app's code flow, listing the
demo users, and a plain message page. Server-rendered HTML, no script: labelled fields, one `main` landmark,
headings in order, 简体中文 first with the English beside it (`lang="en"`). Every value is HTML-escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from chassis.demo_subjects import demo_subject, shown

# How the login page names a role (the platform's roles, chassis/identity.py).
ROLE_NAMES_ZH = {"applicant": "申请人", "clerk": "受理经办员", "expert": "鉴定专家", "reviewer": "复核员",
                 "finance": "财务", "inspector": "稽核员", "institution": "定点机构", "supervisor": "医保部门监管",
                 "ops": "运维"}

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;color:#1f2937;
 background:#f3f4f6;line-height:1.5}
main{max-width:56rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .25rem}
h3{font-size:1rem;margin:1rem 0 .25rem}
h3 small{font-weight:normal;color:#4b5563}
.card{background:#fff;border:1px solid #d1d5db;border-radius:.5rem;padding:1rem 1.25rem;max-width:26rem}
.field{margin:0 0 .9rem}
label{display:block;font-weight:600;margin-bottom:.2rem}
input{width:100%;font:inherit;padding:.5rem .6rem;border:1px solid #6b7280;border-radius:.35rem}
input[aria-invalid=true]{border-color:#b91c1c}
.hint{margin:.2rem 0 0;font-size:.875rem;color:#4b5563}
.note{color:#374151}
.error{background:#fef2f2;color:#991b1b;border:1px solid #fca5a5;border-radius:.35rem;padding:.5rem .75rem}
button{font:inherit;cursor:pointer;border-radius:.35rem}
button.primary{background:#1d4ed8;color:#fff;border:0;padding:.55rem 1.4rem;font-weight:600}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
ul.users{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.4rem}
ul.users button{background:#fff;color:#1f2937;border:1px solid #9ca3af;padding:.3rem .6rem}
ul.users button:hover{background:#eff6ff}
code{font-size:.85em;color:#1e3a8a}
"""


_NOTE_EN = "Development issuer: the demo users of embedded mode (make run) only."


def _page(title: str, body: str) -> str:
    return ("<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
            "</body>\n</html>\n")


def _en(text: str) -> str:
    return f"<span lang=\"en\">{escape(text)}</span>"


def _person(login: Mapping[str, str]) -> str:
    """Whom a demo applicant acts as: their identity number, masked (personal data is never shown in clear)."""
    if login.get("role") != "applicant":
        return ""
    subject = demo_subject(login.get("tenant", ""), "applicant")
    if subject == "demo-applicant":
        return ""
    return f" <small>身份证号 {_en('ID')} {escape(shown(subject))}</small>"


def login_page(fields: Mapping[str, str], logins: Sequence[Mapping[str, str]], tenant_labels: Mapping[str, str],
               *, error: bool = False, username: str = "") -> str:
    """The login page: `fields` the authorization request, carried in hidden fields to the POST; `logins` the demo
    users (`username`, `tenant`, `role`) shown as buttons that sign in as that user; `error` after a wrong login."""
    hidden = "\n".join(f"<input type=\"hidden\" name=\"{escape(k)}\" value=\"{escape(v)}\">"
                       for k, v in fields.items())
    invalid = " aria-invalid=\"true\"" if error else ""
    alert = (f"<p id=\"login-error\" class=\"error\" role=\"alert\">用户名或密码不正确。"
             f"{_en('Wrong username or password.')}</p>\n" if error else "")
    described = " login-error" if error else ""
    by_tenant: dict[str, list[Mapping[str, str]]] = {}
    for login in logins:
        by_tenant.setdefault(login["tenant"], []).append(login)
    groups = []
    for tenant, users in by_tenant.items():
        label = tenant_labels.get(tenant, "")
        small = f" <small>{escape(label)}</small>" if label else ""
        items = "\n".join(
            f"<li><button type=\"submit\" name=\"demo_user\" value=\"{escape(u['username'])}\" formnovalidate>"
            f"{escape(ROLE_NAMES_ZH.get(u['role'], u['role']))} {_en(u['role'])} "
            f"<code>{escape(u['username'])}</code>{_person(u)}</button></li>" for u in users)
        groups.append(f"<h3>{escape(tenant)}{small}</h3>\n<ul class=\"users\">\n{items}\n</ul>")
    demo = ""
    if groups:
        demo = ("<section aria-labelledby=\"demo-users\">\n<h2 id=\"demo-users\">演示用户 "
                f"{_en('Demo users')}</h2>\n<p class=\"note\">点击即以该用户登录（密码 demo）。"
                f"{_en('Click one to sign in as that user (password demo).')}</p>\n" + "\n".join(groups)
                + "\n</section>")
    body = f"""<h1>登录经办 {_en("Sign in to Jingban")}</h1>
<p class="note">开发用签发方：只用于内嵌模式（make run）的演示用户。{_en(_NOTE_EN)}</p>
<form method="post" action="/dev/authorize">
{hidden}
<div class="card">
{alert}<div class="field">
<label for="username">用户名 {_en("Username")}</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required
 value="{escape(username)}" aria-describedby="username-hint{described}"{invalid}>
<p id="username-hint" class="hint">租户-角色，例如 hz-p1-clerk {_en("tenant-role, e.g. hz-p1-clerk")}</p>
</div>
<div class="field">
<label for="password">密码 {_en("Password")}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required
 aria-describedby="password-hint{described}"{invalid}>
<p id="password-hint" class="hint">演示用户的密码都是 demo {_en("every demo user's password is demo")}</p>
</div>
<button type="submit" class="primary">登录 {_en("Sign in")}</button>
</div>
{demo}
</form>"""
    return _page("登录 Sign in · 经办 Jingban", body)


def message_page(heading_zh: str, heading_en: str, text_zh: str, text_en: str) -> str:
    """A page that only says something (a refused authorization request, signed out)."""
    body = (f"<h1>{escape(heading_zh)} {_en(heading_en)}</h1>\n"
            f"<p>{escape(text_zh)} {_en(text_en)}</p>")
    return _page(f"{escape(heading_zh)} {escape(heading_en)} · 经办 Jingban", body)

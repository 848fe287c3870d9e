"""The Jinja environment (app/web/templating.py): templates read the environment's globals
directly, so a page copies and compares them in C, and still sees a global added late."""

from collections import ChainMap

import pytest
from flask import render_template
from jinja2 import ChoiceLoader, DictLoader

from app.web.templating import ChirpEnvironment


@pytest.fixture
def extra_templates(app):
    """Templates of the test's own, beside the app's."""
    templates = {}
    app.jinja_env.loader = ChoiceLoader([DictLoader(templates), app.jinja_env.loader])
    return templates


def test_the_app_renders_with_chirps_environment(app):
    assert isinstance(app.jinja_env, ChirpEnvironment)
    assert app.jinja_env.get_template("base.html").globals is app.jinja_env.globals


def test_pages_and_includes_see_a_global_changed_after_they_were_loaded(app, extra_templates):
    """As with Jinja's own map over the environment's globals (imported macros keep the
    globals of their first import, as in Jinja)."""
    extra_templates["part.html"] = "{{ greeting() }}"
    extra_templates["page.html"] = '{{ greeting() }} {% include "part.html" %}'
    env = app.jinja_env
    env.globals["greeting"] = lambda: "hello"
    with app.test_request_context("/"):
        assert render_template("page.html") == "hello hello"
        env.globals["greeting"] = lambda: "hi"
        assert render_template("page.html") == "hi hi"


def test_imports_read_the_globals_of_the_page(app, extra_templates):
    extra_templates["macros.html"] = "{% macro root() %}{{ request.script_root }}/{% endmacro %}"
    extra_templates["page.html"] = '{% from "macros.html" import root %}{{ root() }}'
    with app.test_request_context("/", base_url="http://localhost/chirp"):
        assert render_template("page.html") == "/chirp/"


def test_a_template_given_globals_of_its_own_keeps_them_to_itself(app):
    env = app.jinja_env
    template = env.from_string("{{ colour }}", globals={"colour": "red"})
    assert isinstance(template.globals, ChainMap)
    assert template.render() == "red"
    assert "colour" not in env.globals
    assert env.from_string("{{ colour }}").render() == ""

"""`formflow serve`: the personnel file and the MUS round in a browser, need to know only.

`app` (the Flask app and its pages, served by waitress), `users` (logins, sessions and failed
logins in `archive/.formflow/users.sqlite`), `access` (who may see whose file), `pages`
(what the pages show, in Danish). Templates and the style sheet ship inside the package.
"""
